import assert from "node:assert/strict";
import { BackendError, initBackend, liveTensors, requestedBackend, tf } from "../../ml/backend.ts";

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
  const before = tf.getBackend();
  try {
    assert.equal(await initBackend("webgpu"), "webgpu");
  } catch (e) {
    assert.ok(e instanceof BackendError, String(e));
    assert.ok(["WEBGPU_UNAVAILABLE", "WEBGPU_FALLBACK_ADAPTER", "BACKEND_START_FAILED"].includes(e.code));
  }
  await initBackend(before);
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
