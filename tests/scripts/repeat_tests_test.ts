/**
 * scripts/repeat_tests.ts (the 10-run flake check) on real `deno test` runs of two fixture files: it
 * reports each run's counts and failed tests, stops at the first failure unless told to keep going, and
 * exits non-zero when any run failed.
 */
import assert from "node:assert/strict";
import { formatRun, summarizeRun } from "../../scripts/repeat_tests.ts";
import { runDeno } from "../_helpers/child_process.ts";
import { ROOT } from "../_helpers/task_args.ts";

const FIXTURES = "tests/fixtures/repeat_tests";

async function repeat(args: string[]) {
  const logs = await Deno.makeTempDir({ prefix: "repeat-tests-test-" });
  const r = await runDeno(["run", "-A", "scripts/repeat_tests.ts", "--logs", logs, ...args], {
    cwd: ROOT,
    env: { NO_COLOR: "1", PATH: Deno.env.get("PATH") ?? "" },
    timeoutMs: 120_000,
  });
  const logFiles = [...Deno.readDirSync(logs)].map((e) => e.name).sort();
  await Deno.remove(logs, { recursive: true });
  return { ...r, logFiles };
}

Deno.test("repeat_tests: two passing runs, one line each, exit 0, a log per run", async () => {
  const r = await repeat(["--runs", "2", "--", `${FIXTURES}/pass_fixture.ts`]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.match(lines[0], /^run 1\/2: exit 0, 2 passed, 0 failed, \d+ s$/);
  assert.match(lines[1], /^run 2\/2: exit 0, 2 passed, 0 failed, \d+ s$/);
  assert.match(lines[2], /^all runs passed; logs in /);
  assert.deepEqual(r.logFiles, ["run-1.log", "run-2.log"]);
});

Deno.test("repeat_tests: a failing run names the test, stops there (or keeps going), exit 1", async () => {
  const stop = await repeat(["--runs", "3", "--", `${FIXTURES}/fail_fixture.ts`]);
  assert.equal(stop.code, 1);
  const lines = stop.stdout.trim().split("\n");
  assert.equal(lines.length, 2, stop.stdout);
  assert.match(lines[0], /^run 1\/3: exit 1, 1 passed, 1 failed, \d+ s; failed: always fails$/);
  assert.match(lines[1], /^1 of the runs failed; logs in /);

  const all = await repeat(["--runs", "2", "--keep-going", "--", `${FIXTURES}/fail_fixture.ts`]);
  assert.equal(all.code, 1);
  assert.match(all.stdout, /^run 2\/2: exit 1, 1 passed, 1 failed/m);
  assert.match(all.stdout, /^2 of the runs failed/m);
});

Deno.test("repeat_tests: a crash after every test passed is told apart from a failed test", () => {
  const output = "adds ... ok (1ms)\n\nok | 2 passed | 0 failed (10ms)\n\ndouble free or corruption (out)\n";
  const s = summarizeRun(134, output);
  assert.deepEqual(s, { code: 134, passed: 2, failed: 0, failures: [], finished: true });
  assert.equal(
    formatRun(4, 10, s, 401.6),
    "run 4/10: exit 134, 2 passed, 0 failed, 402 s (every test passed: the process crashed or was killed afterwards)",
  );
  assert.match(formatRun(1, 1, summarizeRun(137, "adds ... ok\n"), 1), /\(the runner did not finish\)$/);
});
