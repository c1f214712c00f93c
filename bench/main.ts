/**
 * `deno task bench [name...]`: runs every `bench/*.bench.ts` (or the named ones) one after another,
 * each in its own process so one benchmark's memory and JIT state never skews the next. Each bench
 * prints its own Markdown tables; ratios are always measured inside one bench run.
 */
const dir = new URL(".", import.meta.url);
const wanted = Deno.args;
const files = [...Deno.readDirSync(dir)]
  .map((e) => e.name)
  .filter((n) => n.endsWith(".bench.ts"))
  .filter((n) => wanted.length === 0 || wanted.some((w) => n.startsWith(w)))
  .sort();

if (files.length === 0) {
  console.error(`no benchmark matches ${wanted.join(", ")}`);
  Deno.exit(2);
}
let failed = 0;
for (const file of files) {
  console.log(`\n## ${file.replace(".bench.ts", "")}\n`);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(file, dir).pathname],
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const { code } = await child.status;
  if (code !== 0) {
    failed++;
    console.error(`${file} exited with ${code}`);
  }
}
Deno.exit(failed === 0 ? 0 : 1);
