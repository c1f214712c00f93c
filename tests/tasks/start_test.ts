/**
 * `deno task build` and `deno task start` with exactly the flags in deno.json (spawned as the task
 * runs them, minus `deno task`): the app serves its built islands with no `-A`, and each startup failure
 * ends with one line and exit code 1.
 */
import assert from "node:assert/strict";
import { postgresMissing, startPostgresCluster } from "../_helpers/postgres_cluster.ts";
import { runDeno } from "../_helpers/child_process.ts";
import { requireSuite } from "../_helpers/suites.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks as Record<string, string>;

/** The `deno run ...` arguments of a task (the last `deno run` in it), split on spaces. */
function runArgs(task: string): string[] {
  const cmd = tasks[task].split("&&").map((s) => s.trim()).findLast((s) => s.startsWith("deno run "))!;
  return cmd.split(/\s+/).slice(1);
}

function run(args: string[], env: Record<string, string>) {
  return runDeno(args, { cwd: ROOT, env, timeoutMs: 90_000 });
}

Deno.test("the start and build tasks grant no -A and no --allow-run to the server", () => {
  const start = runArgs("start");
  assert.ok(!start.includes("-A") && !start.some((a) => a.startsWith("--allow-all")));
  assert.ok(!start.some((a) => a.startsWith("--allow-run") || a.startsWith("--allow-ffi")));
  assert.match(tasks.start, /^deno task build && /);
  assert.ok(!runArgs("build").includes("-A"));
});

Deno.test({
  name: "deno task start's flags: serves health and built islands; failures print one line, exit 1",
  sanitizeResources: false,
  async fn() {
    const build = await run(runArgs("build"), {});
    assert.equal(build.code, 0, build.stderr);
    assert.match(build.stdout, /^build: /);
    const dataDir = `.data/start-test-${crypto.randomUUID()}`;
    const env = { PORT: "0", LISTEN_HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "silent" };
    const child = new Deno.Command(Deno.execPath(), {
      args: runArgs("start"),
      cwd: ROOT,
      env,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    try {
      let out = "";
      while (!/listening on (\S+)/.test(out)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`exited before listening: ${out}`);
        out += value;
      }
      const url = /listening on (\S+)/.exec(out)![1];
      const health = await fetch(`${url}/api/health`);
      assert.equal(health.status, 200, await health.clone().text());
      assert.equal((await health.json()).status, "ok");
      const page = await (await fetch(`${url}/`)).text();
      const boot = /src="(\/_islands\/boot-[A-Z0-9]+\.js)"/.exec(page)?.[1];
      assert.ok(boot, "the page loads the boot script");
      const script = await fetch(`${url}${boot}`);
      assert.equal(script.status, 200);
      assert.ok((await script.text()).length > 100);

      // A second process on the same data directory.
      const second = await run(runArgs("start"), env);
      assert.equal(second.code, 1);
      const lines = second.stderr.trim().split("\n");
      assert.equal(lines.length, 1, second.stderr);
      assert.match(lines[0], /^Mini-Claude cannot start: .* in use by another process/);
    } finally {
      child.kill("SIGTERM");
      await child.status;
      await reader.cancel().catch(() => {});
      await child.stderr.cancel().catch(() => {});
      await Deno.remove(`${ROOT}${dataDir}`, { recursive: true }).catch(() => {});
    }

    const unreachable = await run(runArgs("start"), {
      ...env,
      DATABASE_URL: "postgres://u:p@127.0.0.1:1/db",
    });
    assert.equal(unreachable.code, 1);
    assert.match(
      unreachable.stderr.trim(),
      /^Mini-Claude cannot start: the database in DATABASE_URL cannot be reached[^\n]*$/,
    );

    const noNet = await run(runArgs("start").filter((a) => a !== "--allow-net"), env);
    assert.equal(noNet.code, 1);
    assert.match(
      noNet.stderr.trim(),
      /^Mini-Claude cannot start: missing permission \(Requires net access[^\n]*$/,
    );
    const noEnv = await run(runArgs("start").filter((a) => a !== "--allow-env"), env);
    assert.equal(noEnv.code, 1);
    assert.match(
      noEnv.stderr.trim(),
      /^Mini-Claude cannot start: missing permission \(Requires env access[^\n]*$/,
    );
    await Deno.remove(`${ROOT}${dataDir}`, { recursive: true }).catch(() => {});
  },
});

Deno.test({
  name: "deno task start's flags: a database that refuses the user or password ends with one line, exit 1",
  ignore: !requireSuite("start-postgres", postgresMissing()),
  async fn() {
    const cluster = await startPostgresCluster();
    try {
      // The throwaway cluster trusts every known role, so the refusal tested is an unknown one (SQLSTATE
      // 28000); a wrong password (28P01) takes the same path.
      const url = cluster.url.replace("postgres@", "nobody:wrong@");
      const r = await run(runArgs("start"), { PORT: "0", LISTEN_HOST: "127.0.0.1", DATABASE_URL: url });
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr.trim(),
        'Mini-Claude cannot start: the database refused the user name or password in DATABASE_URL (role "nobody" does not exist).',
      );
      assert.doesNotMatch(r.stderr, /wrong/);
    } finally {
      await cluster.destroy();
    }
  },
});
