/**
 * Every `deno task` runs with the narrowest permissions that work: the data and ML tasks are spawned
 * through `deno task` itself (so with exactly the flags in deno.json) on temporary directories, and
 * `dev` with its flags. `start` and `build` are covered by start_test.ts, `train` by train_test.ts.
 */
import { runDeno, spawnDenoListening } from "../_helpers/child_process.ts";
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;
const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks as Record<string, string>;

function task(name: string, args: string[]) {
  return runDeno(["task", "--quiet", name, ...args], {
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    timeoutMs: 120_000,
  });
}

Deno.test("only test and bench run with -A; --allow-run and --allow-net only where needed", () => {
  const flags = (name: string) => tasks[name].split(/\s+/).filter((w) => w.startsWith("-"));
  for (const name of Object.keys(tasks)) {
    if (name === "test" || name === "bench" || name === "check") continue;
    assert.ok(!flags(name).includes("-A") && !flags(name).includes("--allow-all"), `${name}: ${tasks[name]}`);
    const run = flags(name).some((f) => f.startsWith("--allow-run"));
    assert.equal(run, name === "build" || name === "dev", `${name} and --allow-run`);
    const net = flags(name).some((f) => f.startsWith("--allow-net"));
    assert.equal(net, name === "start" || name === "dev", `${name} and --allow-net`);
  }
});

Deno.test("validate-data, build-data, lora-report and native-status work with their task flags", async () => {
  const dir = await Deno.makeTempDir({ prefix: "task-perms-" });
  try {
    const validate = await task("validate-data", [
      "tests/fixtures/data/defects.jsonl",
      "--out",
      `${dir}/clean.jsonl`,
    ]);
    assert.equal(validate.code, 1, validate.stderr); // the fixture has invalid records
    assert.match(validate.stdout, /Score: [\d.]+ \/ 100/);
    const cleaned = (await Deno.readTextFile(`${dir}/clean.jsonl`)).trim().split("\n");
    assert.ok(cleaned.length > 0 && cleaned.every((l) => typeof JSON.parse(l).instruction === "string"));

    const build = await task("build-data", [
      "--out",
      `${dir}/data`,
      "--definitions",
      "40",
      "--examples",
      "10",
      "--synonyms",
      "10",
      "--no-corpus",
    ]);
    assert.equal(build.code, 0, build.stderr);
    const train = (await Deno.readTextFile(`${dir}/data/instructions.train.jsonl`)).trim().split("\n");
    assert.ok(train.length > 40, `${train.length} records`);

    const report = await task("lora-report", []);
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stdout, /r=\d+/);

    const native = await task("native-status", []);
    assert.equal(native.code, 0, native.stderr);
    assert.match(native.stdout, /^native kernels (on|off)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "dev works with its task flags: serves a page with islands built at boot",
  sanitizeResources: false,
  async fn() {
    const dataDir = `.data/dev-test-${crypto.randomUUID()}`;
    const app = await spawnDenoListening(tasks.dev.split(/\s+/).slice(1), {
      cwd: ROOT,
      env: { PORT: "0", LISTEN_HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "silent", NO_COLOR: "1" },
      stderr: "null",
    });
    try {
      const url = app.url;
      const page = await (await fetch(`${url}/`)).text();
      const boot = /src="(\/_islands\/boot-[A-Z0-9]+\.js)"/.exec(page)?.[1];
      assert.ok(boot, "the page loads the boot script");
      const script = await fetch(`${url}${boot}`);
      assert.equal(script.status, 200);
      assert.match(await script.text(), /sourceMappingURL=data:/, "dev bundles carry source maps");
    } finally {
      // Under --watch the app's exit leaves the watcher waiting for a file change: kill the watcher.
      app.child.kill("SIGKILL");
      await app.child.status;
      await Deno.remove(`${ROOT}${dataDir}`, { recursive: true }).catch(() => {});
    }
  },
});
