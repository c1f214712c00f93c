/**
 * The flake check: runs the test suite (or the `deno test` arguments given after `--`) several times in a
 * row and reports each run in one line: exit code, passed and failed counts, time, the failed tests by
 * name, and any exit that is not the runner's own (a signal, or 134 "double free" after every test
 * passed). Exits 0 only when every run passed.
 *
 *   deno run -A scripts/repeat_tests.ts                       # 10 runs of `deno task test`'s command
 *   deno run -A scripts/repeat_tests.ts --runs 3 -- tests/db/  # 3 runs of `deno test -A --parallel tests/db/`
 *
 * `--keep-going` runs them all even after a failure; `--logs <dir>` keeps each run's full output there
 * (default: a new temporary directory, printed at the end).
 */

/** What one run of `deno test` printed, summed up. */
export interface RunSummary {
  /** The process's exit code (128 + n for signal n). */
  code: number;
  passed: number;
  failed: number;
  /** Names of the failed tests, from the runner's FAILURES list. */
  failures: string[];
  /** The runner printed its final `ok |`/`FAILED |` line (a crash after it means the exit came later). */
  finished: boolean;
}

/** Reads the counts and failed tests from `deno test`'s output (colours allowed). */
export function summarizeRun(code: number, output: string): RunSummary {
  // deno-lint-ignore no-control-regex
  const text = output.replace(/\x1b\[[0-9;]*m/g, "");
  const totals = [...text.matchAll(/^(ok|FAILED) \| (\d+) passed(?: \([^)]*\))? \| (\d+) failed/gm)].at(-1);
  const failures: string[] = [];
  const section = text.lastIndexOf("\n FAILURES");
  if (section !== -1) {
    for (const line of text.slice(section).split("\n").slice(1)) {
      const m = /^(.+?) => \S+:\d+:\d+$/.exec(line.trim());
      if (m) failures.push(m[1]);
      else if (/^(ok|FAILED) \|/.test(line)) break;
    }
  }
  return {
    code,
    passed: totals ? Number(totals[2]) : 0,
    failed: totals ? Number(totals[3]) : 0,
    failures,
    finished: totals !== undefined,
  };
}

/** One line for a run: `run 3/10: exit 0, 812 passed, 0 failed, 402 s`. */
export function formatRun(index: number, runs: number, s: RunSummary, seconds: number): string {
  let line = `run ${index}/${runs}: exit ${s.code}, ${s.passed} passed, ${s.failed} failed, ${
    Math.round(seconds)
  } s`;
  if (s.failures.length > 0) line += `; failed: ${s.failures.join("; ")}`;
  if (s.code !== 0 && s.failed === 0) {
    line += s.finished
      ? " (every test passed: the process crashed or was killed afterwards)"
      : " (the runner did not finish)";
  }
  return line;
}

function parseArgs(args: string[]) {
  const dash = args.indexOf("--");
  const own = dash === -1 ? args : args.slice(0, dash);
  const testArgs = dash === -1 ? ["tests/"] : args.slice(dash + 1);
  let runs = 10;
  let keepGoing = false;
  let logs: string | undefined;
  for (let i = 0; i < own.length; i++) {
    if (own[i] === "--runs") runs = Number(own[++i]);
    else if (own[i] === "--keep-going") keepGoing = true;
    else if (own[i] === "--logs") logs = own[++i];
    else throw new Error(`unknown option ${own[i]} (see the header of scripts/repeat_tests.ts)`);
  }
  if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs expects a whole number >= 1");
  return { runs, keepGoing, logs, testArgs };
}

if (import.meta.main) {
  let options;
  try {
    options = parseArgs(Deno.args);
  } catch (e) {
    console.error(`repeat_tests: ${(e as Error).message}`);
    Deno.exit(2);
  }
  const { runs, keepGoing, testArgs } = options;
  const logs = options.logs ?? await Deno.makeTempDir({ prefix: "repeat-tests-" });
  await Deno.mkdir(logs, { recursive: true });
  let bad = 0;
  for (let i = 1; i <= runs; i++) {
    const t0 = performance.now();
    // As `deno task test` runs it: one OpenBLAS thread per process (docs/hardening.md, the exit-134 flake).
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", "--parallel", ...testArgs],
      env: { OPENBLAS_NUM_THREADS: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    const output = dec.decode(out.stdout) + dec.decode(out.stderr);
    await Deno.writeTextFile(`${logs}/run-${i}.log`, output);
    const code = out.code; // 128 + n when a signal ended it (134: SIGABRT, e.g. "double free")
    const summary = summarizeRun(code, output);
    console.log(formatRun(i, runs, summary, (performance.now() - t0) / 1000));
    if (code !== 0) {
      bad++;
      if (!keepGoing) break;
    }
  }
  console.log(
    `${bad === 0 ? "all" : `${bad} of the`} runs ${bad === 0 ? "passed" : "failed"}; logs in ${logs}`,
  );
  Deno.exit(bad === 0 ? 0 : 1);
}
