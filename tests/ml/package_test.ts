/**
 * `ml/` as the package `@mini-claude/ml`: the README samples run as written, the package config names
 * the version the CHANGELOG describes, the API passes `deno doc --lint` and `deno publish --dry-run`, and
 * nothing under ml/ imports the app.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;

async function deno(
  args: string[],
  stdin?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/** The ```ts blocks of a Markdown file that import the package. */
async function packageSamples(path: string): Promise<string[]> {
  const md = await Deno.readTextFile(`${ROOT}${path}`);
  return [...md.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).filter((code) =>
    code.includes('from "@mini-claude/ml"')
  );
}

Deno.test("the package README's sample runs as written and prints the output shown under it", async () => {
  const md = await Deno.readTextFile(`${ROOT}ml/README.md`);
  const expected = md.match(/Output:\n\n```text\n([\s\S]*?)```/)?.[1];
  assert.ok(expected, "ml/README.md shows the sample's output");
  const samples = [...await packageSamples("ml/README.md"), ...await packageSamples("README.md")];
  assert.equal(samples.length, 2, "one package sample in each README");
  assert.equal(samples[0], samples[1], "both READMEs show the same sample");
  const run = await deno(["run", "-A", "-"], samples[0]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, expected);
});

Deno.test("the example in mod.ts's module doc runs (deno test --doc)", async () => {
  const run = await deno(["test", "-A", "--doc", "ml/mod.ts"]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /ok \| 1 passed \| 0 failed/);
});

Deno.test("package config: name, semver version (the CHANGELOG's latest), exports, MIT license", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}ml/deno.json`));
  assert.equal(config.name, "@mini-claude/ml");
  assert.match(config.version, /^\d+\.\d+\.\d+$/);
  assert.equal(config.exports["."], "./mod.ts");
  assert.equal(config.license, "MIT");
  const changelog = await Deno.readTextFile(`${ROOT}CHANGELOG.md`);
  assert.equal(changelog.match(/^## \[(\d+\.\d+\.\d+)\]/m)?.[1], config.version);
  assert.match(await Deno.readTextFile(`${ROOT}LICENSE`), /^MIT License\n/);
  const root = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  assert.ok(root.workspace.includes("./ml"));
});

Deno.test("nothing under ml/ imports the app (lib/, routes/, islands/, components/)", async () => {
  const offenders: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(path);
      else if (e.name.endsWith(".ts")) {
        const text = await Deno.readTextFile(path);
        for (const m of text.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)) {
          const resolved = new URL(m[1], `file://${path}`).pathname;
          if (
            m[1].startsWith(".") &&
            /^\/(lib|routes|islands|components)\//.test(resolved.slice(ROOT.length - 1))
          ) {
            offenders.push(`${path.slice(ROOT.length)} imports ${m[1]}`);
          }
        }
      }
    }
  };
  await walk(`${ROOT}ml`);
  assert.deepEqual(offenders, []);
});

Deno.test("deno doc --lint ml/mod.ts and deno publish --dry-run are clean", async () => {
  const doc = await deno(["doc", "--lint", "ml/mod.ts"]);
  assert.equal(doc.code, 0, doc.stdout + doc.stderr);
  const publish = await deno(["publish", "--dry-run", "--allow-dirty", "--config", "ml/deno.json"]);
  assert.equal(publish.code, 0, publish.stdout + publish.stderr);
  assert.match(publish.stdout + publish.stderr, /Success Dry run complete/);
  assert.doesNotMatch(publish.stdout + publish.stderr, /data\/build\.ts/); // the repository's builders stay out
});
