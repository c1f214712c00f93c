import assert from "node:assert/strict";
import { BackendError, initBackend, liveTensors, requestedBackend, tf } from "../../ml/backend.ts";
import { runDeno } from "../_helpers/child_process.ts";

Deno.test("requestedBackend: default wasm, env-style names, unknown names fail with a code", () => {
  assert.equal(requestedBackend("CPU"), "cpu");
  assert.equal(requestedBackend("webgpu"), "webgpu");
  assert.throws(
    () => requestedBackend("tpu"),
    (e: unknown) => e instanceof BackendError && e.code === "BACKEND_UNKNOWN",
  );
});

Deno.test("initBackend starts wasm and cpu for real and computes the same product", async () => {
  const a = [[1, 2], [3, 4]];
  const results: number[][] = [];
  for (const name of ["cpu", "wasm"] as const) {
    assert.equal(await initBackend(name), name);
    assert.equal(tf.getBackend(), name);
    const p = tf.matMul(tf.tensor2d(a), tf.tensor2d(a));
    results.push(Array.from(await p.data()));
    tf.dispose(p);
  }
  assert.deepEqual(results[0], [7, 10, 15, 22]);
  assert.deepEqual(results[1], results[0]);
  await initBackend();
});

Deno.test("initBackend('webgpu') either starts a real adapter or fails loudly with a code", async () => {
  // In a child process: an adapter request loads the GL/EGL stack, whose exit-time destructors once
  // crashed this (parallel, many-threaded) test process at exit (see _webgpu_probe.ts).
  const out = await runDeno(
    ["run", "--allow-read", "--allow-env", new URL("./_webgpu_probe.ts", import.meta.url).pathname],
    { cwd: new URL("../..", import.meta.url).pathname, env: {}, timeoutMs: 60_000 },
  );
  assert.equal(out.code, 0, `probe exited ${out.code}: ${out.stderr}`);
  const result = JSON.parse(out.stdout) as { backend?: string; code?: string };
  if (result.backend !== undefined) assert.equal(result.backend, "webgpu");
  else {
    const codes = ["WEBGPU_UNAVAILABLE", "WEBGPU_FALLBACK_ADAPTER", "BACKEND_START_FAILED"];
    assert.ok(codes.includes(result.code!), JSON.stringify(result));
  }
});

Deno.test("gradients are registered (tfjs-core alone has none)", async () => {
  await initBackend();
  const n = liveTensors();
  const x = tf.tensor1d([1, -2, 3]);
  const g = tf.grad((t: tf.Tensor) => tf.sum(tf.square(t)))(x);
  assert.deepEqual(Array.from(await g.data()), [2, -4, 6]);
  tf.dispose([g, x]);
  assert.equal(liveTensors(), n);
});
