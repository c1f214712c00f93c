/**
 * Start time: `deno run -A main.ts` building the islands with esbuild at boot (the old `deno task start`)
 * against the new start flags serving the saved build in `_fresh/` (after `deno task build`). Each
 * sample is a fresh process on an existing embedded database (one warm-up start creates it; a first
 * start also runs PGlite's initdb, ~10 s here, the same for both): time to "listening on", then to the
 * first page (`GET /`) and its boot script. Alternates the two so machine load hits both alike.
 * `BENCH_START_RUNS` (default 5) samples each.
 */
import { spawnDenoListening } from "../tests/_helpers/child_process.ts";
import { ROOT, taskRunArgs } from "../tests/_helpers/task_args.ts";

const startArgs = taskRunArgs("start");
const buildArgs = taskRunArgs("build");
const runs = Number(Deno.env.get("BENCH_START_RUNS") ?? 5);

const dataDir = `.data/bench-start-${crypto.randomUUID()}`;

async function sample(args: string[]): Promise<{ listen: number; first: number }> {
  const t0 = performance.now();
  const app = await spawnDenoListening(args, {
    cwd: ROOT,
    env: { PORT: "0", LISTEN_HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "silent" },
  });
  const listen = performance.now() - t0;
  const url = app.url;
  const page = await (await fetch(`${url}/`)).text();
  const boot = /src="(\/_islands\/boot-[A-Z0-9]+\.js)"/.exec(page)![1];
  await (await fetch(`${url}${boot}`)).arrayBuffer();
  const first = performance.now() - t0;
  await app.stop();
  return { listen, first };
}

const built = await new Deno.Command(Deno.execPath(), { args: buildArgs, cwd: ROOT }).output();
if (built.code !== 0) throw new Error("deno task build failed");
const variants = [
  { label: "before: `deno run -A main.ts` (esbuild at boot)", args: ["run", "-A", "--", "main.ts"] },
  { label: "after: start flags, saved build in _fresh/", args: startArgs },
];
await sample(startArgs);
const results = variants.map(() => [] as { listen: number; first: number }[]);
for (let i = 0; i < runs; i++) {
  for (const [v, variant] of variants.entries()) {
    // -A with a saved build present would skip esbuild; the "before" run must not see it.
    const args = v === 0 ? ["run", "-A", "main.ts"] : variant.args;
    if (v === 0) await Deno.rename(`${ROOT}_fresh`, `${ROOT}_fresh.bench-hidden`);
    try {
      results[v].push(await sample(args));
    } finally {
      if (v === 0) await Deno.rename(`${ROOT}_fresh.bench-hidden`, `${ROOT}_fresh`);
    }
  }
}
await Deno.remove(`${ROOT}${dataDir}`, { recursive: true }).catch(() => {});
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`| start | listening (median of ${runs}) | first page + boot script (median) |`);
console.log("| --- | --- | --- |");
for (const [v, variant] of variants.entries()) {
  const l = median(results[v].map((r) => r.listen));
  const f = median(results[v].map((r) => r.first));
  console.log(`| ${variant.label} | ${l.toFixed(0)} ms | ${f.toFixed(0)} ms |`);
}
const ratio = median(results[0].map((r) => r.listen)) / median(results[1].map((r) => r.listen));
console.log(
  `\nlistening ${ratio.toFixed(2)}x sooner with the saved build; ${navigator.hardwareConcurrency} cores.`,
);
