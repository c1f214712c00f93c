/**
 * The exit-134 flake (docs/hardening.md): OpenBLAS torn down while in use. Each case runs in its own
 * child process, because the failure is the process dying (SIGSEGV/SIGABRT) or hanging at exit, not an
 * assertion. The children run as the test suite does: `OPENBLAS_NUM_THREADS=1` (no OpenBLAS thread
 * pool, whose shutdown at exit hangs after calls from several threads; see the doc).
 */
import assert from "node:assert/strict";
import { requireSuite } from "../../_helpers/suites.ts";
import { openOpenBlas } from "../../../ml/native/openblas.ts";

const probe = openOpenBlas();
const ok = requireSuite("ml/native OpenBLAS teardown", probe.ok ? null : probe.reason);
const modelDir = new URL("../../../models/local", import.meta.url).pathname;

interface ChildResult {
  code: number;
  signal: string | null;
  out: string;
  err: string;
}

async function runChild(script: string, args: string[]): Promise<ChildResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-env",
      "--allow-ffi",
      new URL(script, import.meta.url).pathname,
      ...args,
    ],
    env: { OPENBLAS_NUM_THREADS: "1" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, signal: out.signal, out: dec.decode(out.stdout), err: dec.decode(out.stderr) };
}

Deno.test({
  name: "OpenBLAS is pinned: 40 Workers terminated mid-sgemm in one process, which then exits 0",
  ignore: !ok,
  async fn() {
    for (let run = 0; run < 2; run++) {
      const r = await runChild("./_teardown/terminate_loop.ts", ["10"]);
      assert.equal(r.code, 0, `run ${run}: exit ${r.code} signal ${r.signal}\n${r.err}`);
      assert.deepEqual(JSON.parse(r.out), { rounds: 10, pinned: true });
    }
  },
});

Deno.test({
  name: "local model: close() mid-reply waits for the Worker, so exiting right after is clean",
  ignore: !ok,
  async fn() {
    for (let run = 0; run < 3; run++) {
      const r = await runChild("./_teardown/local_exit.ts", [modelDir]);
      assert.equal(r.code, 0, `run ${run}: exit ${r.code} signal ${r.signal}\n${r.err}`);
      assert.deepEqual(JSON.parse(r.out), { tokens: 2 });
    }
  },
});
