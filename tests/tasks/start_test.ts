/**
 * `deno task build` and `deno task start` with exactly the flags in deno.json (spawned as the task
 * runs them, minus `deno task`): the app serves its built islands with no `-A`, and each startup failure
 * ends with one line and exit code 1.
 */
import assert from "node:assert/strict";
import { postgresMissing, startPostgresCluster } from "../_helpers/postgres_cluster.ts";
import { runDeno, spawnDenoListening, spawnListening } from "../_helpers/child_process.ts";
import { requireSuite } from "../_helpers/suites.ts";
import { ROOT, taskRunArgs as runArgs, TASKS as tasks, withoutFlag } from "../_helpers/task_args.ts";

function run(args: string[], env: Record<string, string>) {
  return runDeno(args, { cwd: ROOT, env, timeoutMs: 90_000 });
}

/** The one line a run printed (stdout and stderr together); fails when it printed more or none. */
function oneLine(r: { stdout: string; stderr: string }): string {
  const lines = (r.stderr + r.stdout).trim().split("\n");
  assert.equal(lines.length, 1, r.stderr + r.stdout);
  assert.doesNotMatch(lines[0], /\bat .+:\d+:\d+|Uncaught|error: /, "no stack trace");
  return lines[0];
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
    const app = await spawnDenoListening(runArgs("start"), { cwd: ROOT, env });
    try {
      const url = app.url;
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
      await app.stop();
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
      /^Mini-Claude cannot start: missing permission: net access to "[^"]+" \(grant it with --allow-net\)\. `deno task start` grants it[^\n]*$/,
    );
    const noEnv = await run(runArgs("start").filter((a) => a !== "--allow-env"), env);
    assert.equal(noEnv.code, 1);
    assert.match(
      noEnv.stderr.trim(),
      /^Mini-Claude cannot start: missing permission: env access \(grant it with --allow-env\)\. [^\n]*$/,
    );
    await Deno.remove(`${ROOT}${dataDir}`, { recursive: true }).catch(() => {});
  },
});

Deno.test({
  name:
    "deno task start's flags minus write or read access to the data directory: one line naming it, nothing created",
  sanitizeResources: false,
  async fn() {
    const dataDir = `.data/no-write-${crypto.randomUUID()}`;
    const env = { PORT: "0", LISTEN_HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "silent" };
    // deno task start's flags, with write access to one temporary folder only (not all of /tmp: the
    // checkout itself may lie under /tmp, as CI's clean clones can).
    const tmp = await Deno.makeTempDir({ prefix: "no-write-" });
    const args = withoutFlag(runArgs("start"), "--allow-write");
    args.splice(args.indexOf("main.ts"), 0, `--allow-write=${tmp}`);
    const r = await run(args, { NO_COLOR: "1", TMPDIR: tmp, ...env });
    await Deno.remove(tmp, { recursive: true });
    assert.equal(r.code, 1);
    assert.match(
      oneLine(r),
      new RegExp(
        `^Mini-Claude cannot start: missing permission: write access to "${dataDir}[^"]*" ` +
          "\\(grant it with --allow-write\\)\\. `deno task start` grants read and write to \\./\\.data and /tmp; " +
          "for another DATA_DIR add it to --allow-read and --allow-write",
      ),
    );
    await assert.rejects(Deno.stat(`${ROOT}${dataDir}`), Deno.errors.NotFound);

    // And without read access: the line names read access.
    const noRead = await run(withoutFlag(runArgs("start"), "--allow-read"), { NO_COLOR: "1", ...env });
    assert.equal(noRead.code, 1);
    assert.match(
      oneLine(noRead),
      /^Mini-Claude cannot start: missing permission: read access to "[^"]+" \(grant it with --allow-read\)\./,
    );
    await Deno.remove(`${ROOT}${dataDir}`, { recursive: true }).catch(() => {});
  },
});

Deno.test({
  name: "deno task start's flags: a wrong database password ends with one line naming it, exit 1",
  ignore: !requireSuite("start-postgres", postgresMissing()),
  async fn() {
    // A cluster that checks passwords (scram-sha-256), as a production server does.
    const password = "right-Pa55word";
    const cluster = await startPostgresCluster({ password });
    try {
      const env = { PORT: "0", LISTEN_HOST: "127.0.0.1", LOG_LEVEL: "silent" };
      const wrong = cluster.url.replace(`:${password}@`, ":s3cret-Wr0ng@");
      const r = await run(runArgs("start"), { ...env, DATABASE_URL: wrong });
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr.trim(),
        "Mini-Claude cannot start: the database refused the user name or password in DATABASE_URL " +
          '(password authentication failed for user "postgres").',
      );
      assert.equal(r.stdout, "");
      assert.doesNotMatch(r.stderr, /s3cret|right-Pa55|postgres:\/\/|@127/, "no password or URL credentials");

      // An unknown role is refused the same way (SQLSTATE 28P01 for both under scram).
      const nobody = await run(runArgs("start"), {
        ...env,
        DATABASE_URL: wrong.replace("//postgres:", "//nobody:"),
      });
      assert.equal(nobody.code, 1);
      assert.match(
        nobody.stderr.trim(),
        /^Mini-Claude cannot start: the database refused [^\n]*"nobody"\)\.$/,
      );

      // The right password starts (the failure above is the password, not the cluster).
      const ok = await spawnListening(new URL("../../main.ts", import.meta.url), {
        env: { ...env, DATABASE_URL: cluster.url, DATA_DIR: await Deno.makeTempDir() },
      });
      assert.equal((await fetch(`${ok.url}/api/health`)).status, 200);
      assert.equal(await ok.stop(), 0);
    } finally {
      await cluster.destroy();
    }
  },
});

Deno.test({
  name: "deno task start's flags: a database that accepts TCP but never answers ends with one line, exit 1",
  sanitizeResources: false,
  async fn() {
    // A listener that accepts connections and never speaks: the app must give up (connect_timeout)
    // rather than wait forever. run() kills it after 90 s, which would fail the exit-code check.
    const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const held: Deno.Conn[] = [];
    const accepting = (async () => {
      for await (const conn of silent) held.push(conn);
    })();
    try {
      const { port } = silent.addr as Deno.NetAddr;
      const r = await run(runArgs("start"), {
        PORT: "0",
        LISTEN_HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        DATABASE_URL: `postgres://u:hidden-pw@127.0.0.1:${port}/db?connect_timeout=1`,
      });
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr.trim(),
        /^Mini-Claude cannot start: the database in DATABASE_URL cannot be reached \([^\n]*CONNECT_TIMEOUT[^\n]*\)\.$/,
      );
      assert.doesNotMatch(r.stderr, /hidden-pw/);
    } finally {
      silent.close();
      await accepting.catch(() => {});
      for (const conn of held) conn.close();
    }
  },
});
