import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { requireSuite } from "../../_helpers/suites.ts";
import { openOpenBlas } from "../../../ml/native/openblas.ts";
import {
  installNativeKernels,
  nativeCallCounts,
  nativeStatus,
  uninstallNativeKernels,
} from "../../../ml/native/kernels.ts";
import { planMatMul } from "../../../ml/native/matmul.ts";
import { tanhInto } from "../../../ml/native/pointwise.ts";
import { setSimdEnabled, simdKernels } from "../../../ml/native/simd.ts";
import type { WasmBackendLike } from "../../../ml/native/wasm_heap.ts";
import { AdamW } from "../../../ml/optim.ts";
import { gelu, layerNorm, logSoftmax } from "../../../ml/model.ts";
import { matMul2d } from "../../../ml/linear.ts";
import { profileKernelsBest, profileTable } from "../../../ml/native/profile.ts";

assert.ok(await tf.setBackend("wasm"), "tfjs wasm backend must start");
const probe = openOpenBlas();
const switchedOff = ["off", "0", "false", "no"].includes((Deno.env.get("ML_NATIVE") ?? "").toLowerCase());
const ok = requireSuite(
  "ml/native OpenBLAS kernels",
  switchedOff ? "ML_NATIVE=off in the environment" : probe.ok ? null : probe.reason,
);

/** Deterministic pseudo-random tensor (tfjs seeds are per call; this keeps inputs fixed across paths). */
function rand(shape: number[], seed: number): tf.Tensor {
  let s = seed >>> 0;
  const size = shape.reduce((p, d) => p * d, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    data[i] = s / 2 ** 32 - 0.5;
  }
  return tf.tensor(data, shape);
}

type Outputs = Float32Array[];

function run(f: () => tf.Tensor | tf.Tensor[]): Outputs {
  return tf.tidy(() => {
    const out = f();
    return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
  });
}

/**
 * Runs `f` on the cpu backend (tfjs's reference kernels), on wasm with the stock kernels and on wasm
 * with the native ones. `stockWasm: false` skips the stock-wasm result where that kernel is known wrong.
 */
async function allPaths(
  f: () => tf.Tensor | tf.Tensor[],
  stockWasm = true,
): Promise<{ cpu: Outputs; stock: Outputs | null; native: Outputs }> {
  assert.ok(await tf.setBackend("cpu"));
  const cpu = run(f);
  assert.ok(await tf.setBackend("wasm"));
  uninstallNativeKernels();
  const stock = stockWasm ? run(f) : null;
  const status = installNativeKernels();
  assert.ok(status.active, status.summary);
  const native = run(f);
  return { cpu, stock, native };
}

function assertClose(actual: Float32Array, expected: Float32Array, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what} length`);
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= tol * (1 + Math.abs(expected[i])))) {
      assert.fail(`${what} element ${i}: ${actual[i]} vs ${expected[i]}`);
    }
  }
}

/** Native equals the cpu reference and (unless skipped) the stock wasm kernel, within float tolerance. */
async function compare(f: () => tf.Tensor | tf.Tensor[], what: string, stockWasm = true, tol = 1e-5) {
  const { cpu, stock, native } = await allPaths(f, stockWasm);
  assert.equal(native.length, cpu.length);
  cpu.forEach((c, i) => assertClose(native[i], c, tol, `${what} output ${i}, native vs cpu`));
  stock?.forEach((s, i) => assertClose(native[i], s, tol, `${what} output ${i}, native vs stock wasm`));
}

Deno.test("planMatMul broadcasts batch dims and folds rows when b is one matrix", () => {
  const p = planMatMul([3, 1, 5, 7], [4, 7, 6], false, false)!;
  assert.deepEqual(p.outShape, [3, 4, 5, 6]);
  assert.deepEqual([...p.aIndex], [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
  assert.deepEqual([...p.bIndex], [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]);
  assert.equal(p.foldRows, false);
  const fold = planMatMul([2, 8, 16, 32], [32, 10], false, false)!;
  assert.equal(fold.foldRows, true);
  assert.deepEqual(fold.outShape, [2, 8, 16, 10]);
  assert.equal(planMatMul([2, 3], [4, 5], false, false), null, "inner dims differ");
  assert.equal(planMatMul([2, 2, 3], [3, 3, 4], false, false), null, "batch 2 vs 3 does not broadcast");
});

Deno.test("openOpenBlas reports a missing library in one line instead of throwing", () => {
  const r = openOpenBlas({ candidates: ["/nonexistent/libopenblas-test.so"] });
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.match(r.reason, /OpenBLAS not found/);
    assert.ok(!r.reason.includes("\n"));
  }
});

Deno.test("ML_NATIVE=off keeps the stock kernels and says so", () => {
  uninstallNativeKernels();
  const before = tf.getKernel("BatchMatMul", "wasm");
  const saved = Deno.env.get("ML_NATIVE");
  Deno.env.set("ML_NATIVE", "off");
  try {
    const status = installNativeKernels();
    assert.equal(status.active, false);
    assert.deepEqual(status.kernels, []);
    assert.match(status.summary, /ML_NATIVE=off/);
    assert.equal(tf.getKernel("BatchMatMul", "wasm"), before, "stock kernel untouched");
    const y = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]]));
    assert.deepEqual([...y.dataSync()], [17, 39]);
  } finally {
    if (saved === undefined) Deno.env.delete("ML_NATIVE");
    else Deno.env.set("ML_NATIVE", saved);
  }
});

Deno.test("without --allow-ffi the install keeps stock kernels and explains why", async () => {
  const cli = new URL("../../../ml/native/status_cli.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", cli],
    env: { ML_NATIVE: "on" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.match(text, /^native kernels off: FFI not permitted \(run with --allow-ffi\)/);
});

Deno.test("without the library the install keeps stock kernels and names what to install", async () => {
  const cli = new URL("../../../ml/native/status_cli.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", cli],
    env: { ML_OPENBLAS_LIB: "/nonexistent/libopenblas.so.0", ML_NATIVE: "on" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.match(text, /^native kernels off: OpenBLAS not found .*libopenblas0-pthread/);
  assert.equal(text.split("\n").length, 1);
});

Deno.test({
  name: "install reports the library, thread count and overridden kernels",
  ignore: !ok,
  fn() {
    uninstallNativeKernels();
    const stockTranspose = tf.getKernel("Transpose", "wasm");
    const status = installNativeKernels();
    assert.ok(status.active, status.summary);
    assert.deepEqual(status.kernels, [
      "BatchMatMul",
      "_FusedMatMul",
      "Transpose",
      "Sum",
      "Pow",
      "Identity",
      "Tanh",
      "Cast",
      "MlAdamWUpdate",
      "MlGelu",
      "MlGeluGrad",
      "MlLayerNorm",
      "MlLayerNormGrad",
      "Unpack",
      "MlLogSoftmax",
      "MlLogSoftmaxGrad",
      "MlSoftmaxGrad",
    ]);
    assert.ok((status.threads ?? 0) >= 1);
    assert.match(
      status.summary,
      /^native kernels on: BatchMatMul, _FusedMatMul, Transpose, Sum, Pow, Identity, Tanh, Cast, MlAdamWUpdate, MlGelu, MlGeluGrad, MlLayerNorm, MlLayerNormGrad, Unpack, MlLogSoftmax, MlLogSoftmaxGrad, MlSoftmaxGrad via OpenBLAS/,
    );
    assert.equal(installNativeKernels(), status, "second install returns the same status");
    assert.equal(nativeStatus(), status);
    uninstallNativeKernels();
    const only = installNativeKernels({ kernels: ["BatchMatMul"] });
    assert.deepEqual(only.kernels, ["BatchMatMul"]);
    assert.equal(tf.getKernel("Transpose", "wasm"), stockTranspose, "kernels not asked for stay stock");
    uninstallNativeKernels();
    installNativeKernels();
  },
});

// stock: false marks shapes where tfjs-backend-wasm 4.22's own kernel is wrong (checked against cpu).
const MATMUL_CASES: { name: string; a: number[]; b: number[]; ta: boolean; tb: boolean; stock?: false }[] = [
  { name: "2-D", a: [37, 53], b: [53, 29], ta: false, tb: false },
  { name: "2-D transposeA", a: [53, 37], b: [53, 29], ta: true, tb: false },
  { name: "2-D transposeB", a: [37, 53], b: [29, 53], ta: false, tb: true },
  { name: "2-D both transposed", a: [53, 37], b: [29, 53], ta: true, tb: true },
  { name: "3-D batch", a: [4, 17, 23], b: [4, 23, 11], ta: false, tb: false },
  { name: "3-D batch transposeA", a: [4, 23, 17], b: [4, 23, 11], ta: true, tb: false },
  { name: "4-D attention scores", a: [2, 4, 16, 8], b: [2, 4, 16, 8], ta: false, tb: true },
  { name: "4-D both transposed", a: [2, 3, 8, 16], b: [2, 3, 5, 8], ta: true, tb: true },
  { name: "broadcast batch a", a: [1, 9, 12], b: [5, 12, 7], ta: false, tb: false },
  { name: "broadcast batch b (rows fold)", a: [3, 9, 12], b: [1, 12, 7], ta: false, tb: false },
  { name: "broadcast batch b transposed", a: [3, 12, 9], b: [1, 7, 12], ta: true, tb: true },
  { name: "rank 3 times rank 2", a: [6, 10, 32], b: [32, 20], ta: false, tb: false },
  { name: "rank 2 times rank 3", a: [10, 32], b: [6, 32, 20], ta: false, tb: false },
  { name: "vector-like", a: [1, 64], b: [64, 1], ta: false, tb: false },
  { name: "larger 2-D", a: [192, 256], b: [256, 160], ta: false, tb: false },
];

for (const c of MATMUL_CASES) {
  Deno.test({
    name: `BatchMatMul ${c.name} ${JSON.stringify(c.a)}x${JSON.stringify(c.b)} equals stock`,
    ignore: !ok,
    async fn() {
      let nativeBefore = 0;
      await compare(
        () => {
          nativeBefore = nativeCallCounts().BatchMatMul?.native ?? 0;
          return tf.matMul(rand(c.a, 1), rand(c.b, 2), c.ta, c.tb);
        },
        c.name,
        c.stock ?? true,
      );
      assert.ok((nativeCallCounts().BatchMatMul?.native ?? 0) > nativeBefore, "ran natively");
    },
  });
}

Deno.test({
  name: "BatchMatMul broadcasts batch dims both ways ([3,1]x[1,4]) like numpy",
  ignore: !ok,
  fn() {
    // tfjs's own kernels (cpu and wasm) only broadcast when one side's whole batch is 1; this pins the
    // native result to a float64 reference instead.
    installNativeKernels();
    const a = rand([3, 1, 5, 7], 1), b = rand([1, 4, 7, 6], 2);
    const y = tf.matMul(a, b);
    assert.deepEqual(y.shape, [3, 4, 5, 6]);
    const av = a.dataSync(), bv = b.dataSync(), yv = y.dataSync();
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 4; j++) {
        for (let r = 0; r < 5; r++) {
          for (let c = 0; c < 6; c++) {
            let s = 0;
            for (let p = 0; p < 7; p++) s += av[i * 35 + r * 7 + p] * bv[j * 42 + p * 6 + c];
            const got = yv[((i * 4 + j) * 5 + r) * 6 + c];
            assert.ok(Math.abs(got - s) < 1e-6, `y[${i},${j},${r},${c}] = ${got}, expected ${s}`);
          }
        }
      }
    }
    tf.dispose([a, b, y]);
  },
});

Deno.test({
  name: "BatchMatMul with zero-size dims returns the stock (empty) shape",
  ignore: !ok,
  fn() {
    installNativeKernels();
    const y = tf.matMul(tf.zeros([0, 4]), tf.zeros([4, 3]));
    assert.deepEqual(y.shape, [0, 3]);
    y.dispose();
  },
});

Deno.test({
  name: "int32 matMul goes to the stock kernel (same behavior as without native)",
  ignore: !ok,
  fn() {
    installNativeKernels();
    const fallbackBefore = nativeCallCounts().BatchMatMul.fallback;
    assert.throws(() => tf.matMul(tf.tensor2d([[1]], [1, 1], "int32"), tf.tensor2d([[2]], [1, 1], "int32")));
    assert.equal(nativeCallCounts().BatchMatMul.fallback, fallbackBefore + 1);
  },
});

Deno.test({
  name: "output allocation that grows the wasm heap still gives correct results",
  ignore: !ok,
  fn() {
    installNativeKernels();
    const backend = tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } };
    const a = rand([4096, 3], 7), b = rand([3, 4096], 8);
    const before = backend.wasm.HEAPU8.buffer;
    const y = tf.matMul(a, b); // 64 MiB output: larger than the heap has free
    const grew = backend.wasm.HEAPU8.buffer !== before;
    const av = a.dataSync(), bv = b.dataSync(), yv = y.dataSync();
    for (const [i, j] of [[0, 0], [4095, 4095], [1234, 3071], [4000, 17]]) {
      let s = 0;
      for (let p = 0; p < 3; p++) s += av[i * 3 + p] * bv[p * 4096 + j];
      assert.ok(Math.abs(yv[i * 4096 + j] - s) < 1e-5, `y[${i},${j}] = ${yv[i * 4096 + j]}, expected ${s}`);
    }
    tf.dispose([a, b, y]);
    assert.ok(grew, "the test must actually grow the heap to mean anything");
  },
});

// The stock wasm _FusedMatMul is wrong for batch > 1 with a bias and for elu, and rejects a bias of rank > 1.
const FUSED_CASES: {
  name: string;
  a: number[];
  b: number[];
  ta: boolean;
  tb: boolean;
  bias?: number[];
  act: string;
  stock?: false;
}[] = [
  {
    name: "bias + relu, batch 2",
    a: [2, 13, 24],
    b: [2, 24, 19],
    ta: false,
    tb: false,
    bias: [19],
    act: "relu",
    stock: false,
  },
  { name: "bias + relu", a: [1, 13, 24], b: [1, 24, 19], ta: false, tb: false, bias: [19], act: "relu" },
  { name: "no bias, linear, transposed", a: [2, 24, 13], b: [2, 19, 24], ta: true, tb: true, act: "linear" },
  {
    name: "scalar bias + relu6",
    a: [1, 13, 24],
    b: [1, 24, 19],
    ta: false,
    tb: false,
    bias: [1],
    act: "relu6",
    stock: false,
  },
  {
    name: "bias [1,N] + leakyrelu, broadcast b",
    a: [3, 8, 16],
    b: [1, 16, 12],
    ta: false,
    tb: false,
    bias: [1, 12],
    act: "leakyrelu",
    stock: false,
  },
  { name: "bias + sigmoid", a: [1, 8, 16], b: [1, 16, 12], ta: false, tb: false, bias: [12], act: "sigmoid" },
  {
    name: "bias + elu, transposeB",
    a: [1, 8, 16],
    b: [1, 12, 16],
    ta: false,
    tb: true,
    bias: [12],
    act: "elu",
    stock: false,
  },
];

for (const c of FUSED_CASES) {
  Deno.test({
    name: `_FusedMatMul ${c.name} equals reference`,
    ignore: !ok,
    async fn() {
      const before = nativeCallCounts()._FusedMatMul?.native ?? 0;
      // Scaled so relu6 and the negative branches are exercised.
      await compare(
        () =>
          tf.fused.matMul({
            a: tf.mul(rand(c.a, 3), 8),
            b: rand(c.b, 4),
            transposeA: c.ta,
            transposeB: c.tb,
            bias: c.bias ? rand(c.bias, 5) : undefined,
            activation: c.act as tf.fused.Activation,
          }),
        c.name,
        c.stock ?? true,
      );
      assert.ok((nativeCallCounts()._FusedMatMul?.native ?? 0) > before, "ran natively");
    },
  });
}

Deno.test({
  name: "_FusedMatMul with prelu falls back to the stock kernel",
  ignore: !ok,
  async fn() {
    installNativeKernels();
    const before = nativeCallCounts()._FusedMatMul.fallback;
    await compare(() =>
      tf.fused.matMul({
        a: rand([1, 6, 8], 1),
        b: rand([1, 8, 5], 2),
        bias: rand([5], 3),
        activation: "prelu",
        preluActivationWeights: rand([5], 4),
      }), "prelu");
    assert.ok(nativeCallCounts()._FusedMatMul.fallback > before);
  },
});

Deno.test({
  name: "gradients through matMul (all transposes, batched) equal stock",
  ignore: !ok,
  async fn() {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
      const aShape = ta ? [3, 12, 7] : [3, 7, 12];
      const bShape = tb ? [3, 9, 12] : [3, 12, 9];
      await compare(() => {
        const a = rand(aShape, 11), b = rand(bShape, 12), w = rand([3, 7, 9], 13);
        const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y, ta, tb), w)));
        return g([a, b]);
      }, `grad ta=${ta} tb=${tb}`);
    }
  },
});

Deno.test({
  name: "gradients through fused matMul (bias + relu) equal stock",
  ignore: !ok,
  async fn() {
    await compare(() => {
      const a = tf.mul(rand([1, 10, 16], 21), 4), b = rand([1, 16, 8], 22), bias = rand([8], 23);
      const w = rand([1, 10, 8], 24);
      const g = tf.grads((x: tf.Tensor, y: tf.Tensor, c: tf.Tensor) =>
        tf.sum(tf.mul(tf.fused.matMul({ a: x, b: y, bias: c, activation: "relu" }), w))
      );
      return g([a, b, bias]);
    }, "fused grad");
  },
});

const TRANSPOSE_CASES: { shape: number[]; perm: number[]; dtype?: "int32" }[] = [
  { shape: [8, 6, 3, 4, 5], perm: [2, 0, 3, 1, 4] }, // attention head split
  { shape: [2, 4, 6, 5], perm: [0, 2, 1, 3] }, // head merge
  { shape: [33, 47], perm: [1, 0] },
  { shape: [3, 1, 5, 7], perm: [3, 1, 0, 2] },
  { shape: [2, 3, 4], perm: [0, 1, 2] },
  { shape: [4, 300, 2], perm: [1, 0, 2], dtype: "int32" },
  { shape: [2, 2, 600], perm: [1, 0, 2] }, // long contiguous runs
  // Runs of a multiple of 4 words: the wasm SIMD copy (attention's split and merge at head size 8).
  { shape: [8, 6, 3, 4, 8], perm: [2, 0, 3, 1, 4] },
  { shape: [2, 4, 6, 8], perm: [0, 2, 1, 3] },
  { shape: [4, 30, 4], perm: [1, 0, 2], dtype: "int32" },
  { shape: [2, 3, 2, 3, 2, 4], perm: [5, 4, 3, 2, 1, 0] }, // innermost not contiguous: JS loop
  { shape: [3, 2, 5, 2, 4, 4], perm: [4, 2, 0, 3, 1, 5] }, // rank 6 after collapsing: JS loop
];

for (const c of TRANSPOSE_CASES) {
  Deno.test({
    name: `Transpose ${JSON.stringify(c.shape)} perm ${JSON.stringify(c.perm)} ${
      c.dtype ?? "float32"
    } equals reference`,
    ignore: !ok,
    async fn() {
      const before = nativeCallCounts().Transpose?.native ?? 0;
      await compare(
        () => {
          const x = rand(c.shape, 9);
          return tf.transpose(c.dtype ? tf.cast(tf.mul(x, 1000), "int32") : x, c.perm).toFloat();
        },
        "transpose",
        true,
        0,
      );
      assert.ok((nativeCallCounts().Transpose?.native ?? 0) > before, "ran natively");
    },
  });
}

const SUM_CASES: { shape: number[]; axis: number | number[]; keepDims: boolean; native: boolean }[] = [
  { shape: [512, 96], axis: 0, keepDims: false, native: true }, // bias gradient
  { shape: [4, 16, 24], axis: [0, 1], keepDims: true, native: true },
  { shape: [4, 16, 24], axis: [1, 0], keepDims: false, native: true },
  { shape: [4, 16, 24], axis: -1, keepDims: false, native: true }, // softmax gradient's row sums
  { shape: [4, 16, 24], axis: [2, 1], keepDims: true, native: true }, // trailing axes, any order
  { shape: [8, 4, 64, 64], axis: 3, keepDims: true, native: true }, // attention's [B,H,T,T] rows
  { shape: [4, 16, 24], axis: [0, 2], keepDims: false, native: false },
  { shape: [7, 9], axis: [0, 1], keepDims: false, native: false },
];

for (const c of SUM_CASES) {
  Deno.test({
    name: `Sum ${JSON.stringify(c.shape)} axis ${
      JSON.stringify(c.axis)
    } keepDims=${c.keepDims} equals reference`,
    ignore: !ok,
    async fn() {
      const before = nativeCallCounts().Sum?.native ?? 0;
      await compare(() => tf.sum(rand(c.shape, 10), c.axis, c.keepDims), "sum", true, 1e-5);
      assert.equal(
        (nativeCallCounts().Sum?.native ?? 0) > before,
        c.native,
        "native only for leading or trailing axes",
      );
    },
  });
}

Deno.test({
  name: "Pow with scalar exponents (2, 3, 0.5, -1.5) equals reference; tensor exponent falls back",
  ignore: !ok,
  async fn() {
    for (const e of [2, 3, 0.5, -1.5, 1]) {
      await compare(
        () => tf.pow(tf.add(rand([64, 33], 11), e % 1 === 0 ? 0 : 0.6), e),
        `pow ${e}`,
        true,
        1e-6,
      );
    }
    const before = nativeCallCounts().Pow.fallback;
    await compare(
      () => tf.pow(tf.add(rand([5, 4], 1), 1), tf.add(rand([5, 4], 2), 1)),
      "pow tensor",
      true,
      1e-6,
    );
    assert.ok(nativeCallCounts().Pow.fallback > before);
  },
});

Deno.test({
  name: "Identity aliases its input and the GELU-style gradient still equals reference",
  ignore: !ok,
  async fn() {
    await compare(
      () => {
        const x = rand([16, 40], 12);
        const g = tf.grad((t: tf.Tensor) => {
          const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(t, tf.mul(0.044715, tf.pow(t, 3))));
          return tf.sum(tf.mul(tf.mul(0.5, t), tf.add(1, tf.tanh(inner))));
        });
        return [g(x), tf.clone(x)];
      },
      "gelu grad",
      true,
      1e-5,
    );
  },
});

Deno.test("tanhInto matches Math.tanh within 3e-7 (about 2 float32 ulp near ±1) from -20 to 20, saturates to ±1 and keeps NaN", () => {
  const n = 400_001;
  const x = new Float32Array(n + 3);
  for (let i = 0; i < n; i++) x[i] = -20 + (40 * i) / (n - 1);
  x.set([Infinity, -Infinity, NaN], n);
  const y = new Float32Array(x.length);
  tanhInto(x, y);
  let worst = 0;
  for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(y[i] - Math.tanh(x[i])));
  assert.ok(worst < 3e-7, `max |error| ${worst}`);
  assert.deepEqual([y[n], y[n + 1]], [1, -1]);
  assert.ok(Number.isNaN(y[n + 2]));
  assert.equal(y[(n - 1) / 2], 0, "tanh(0) is exactly 0");
});

Deno.test({
  name: "Tanh forward and gradient (seeded, wide range) equal the cpu reference and stock wasm",
  ignore: !ok,
  async fn() {
    const before = nativeCallCounts().Tanh?.native ?? 0;
    await compare(() => tf.tanh(tf.mul(rand([257, 63], 21), 12)), "tanh", true, 3e-7);
    await compare(
      () => {
        const w = rand([257, 63], 22);
        return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.tanh(t), w)))(tf.mul(rand([257, 63], 23), 6));
      },
      "tanh grad",
      true,
      1e-6,
    );
    assert.ok(nativeCallCounts().Tanh.native > before, "the native Tanh ran");
  },
});

Deno.test({
  name:
    "wasm SIMD tanh on the heap: |error| < 4e-7 against Math.tanh (float32 arithmetic), exactly ±1 beyond |x| = 9.011, NaN stays NaN",
  ignore: !ok,
  fn() {
    installNativeKernels();
    assert.notEqual(
      simdKernels(tf.backend() as unknown as WasmBackendLike),
      null,
      "SIMD kernels are available",
    );
    const n = 400_001;
    const x = new Float32Array(n + 6);
    for (let i = 0; i < n; i++) x[i] = -20 + (40 * i) / (n - 1);
    x.set([Infinity, -Infinity, NaN, 9.5, -12, 0], n);
    const y = tf.tidy(() => tf.tanh(tf.tensor1d(x)).dataSync() as Float32Array);
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(y[i] - Math.tanh(x[i])));
    assert.ok(worst < 4e-7, `max |error| ${worst}`);
    assert.deepEqual([...y.slice(n, n + 2)], [1, -1]);
    assert.ok(Number.isNaN(y[n + 2]), "NaN stays NaN");
    assert.deepEqual([...y.slice(n + 3)], [1, -1, 0]);
    // The same values as the scalar JS loop (the SIMD path evaluates the same formula in float32).
    const js = new Float32Array(x.length);
    tanhInto(x, js);
    assertClose(y.subarray(0, n), js.subarray(0, n), 3e-7, "SIMD vs JS tanh");
  },
});

Deno.test({
  name:
    "GELU, LayerNorm, their gradients and AdamW agree between the SIMD path and the JS loops (lengths 1 to 9: tails)",
  ignore: !ok,
  async fn() {
    installNativeKernels();
    const paths = (simd: boolean) => {
      setSimdEnabled(simd);
      try {
        return [1, 2, 3, 4, 5, 7, 8, 9, 4099].flatMap((len) =>
          run(() => {
            const x = tf.mul(rand([len], 80 + len), 8), w = rand([len], 90 + len);
            const [gx] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(gelu(t), w)))([x]);
            return [gelu(x), gx];
          })
        );
      } finally {
        setSimdEnabled(true);
      }
    };
    const simd = paths(true), js = paths(false);
    simd.forEach((s, i) => assertClose(s, js[i], 2e-6, `output ${i}, SIMD vs JS`));
    const norms = (simdOn: boolean) => {
      setSimdEnabled(simdOn);
      try {
        return [[512, 128], [3, 7, 40], [5, 6]].flatMap((shape) =>
          run(() => {
            const d = shape[shape.length - 1];
            const x = tf.add(tf.mul(rand(shape, 130), 4), 1.5), w = rand(shape, 131);
            const g = tf.add(rand([d], 132), 1), b = rand([d], 133);
            const f = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) =>
              tf.sum(tf.mul(layerNorm(xx, gg, bb), w));
            return [layerNorm(x, g, b), ...tf.grads(f)([x, g, b])];
          })
        );
      } finally {
        setSimdEnabled(true);
      }
    };
    const before = nativeCallCounts().MlLayerNormGrad?.native ?? 0;
    const ns = norms(true), nj = norms(false);
    assert.equal(nativeCallCounts().MlLayerNormGrad.native - before, 6, "the fused LayerNorm gradient ran");
    // float32 row statistics (SIMD) against float64 ones (JS): dgamma sums 512 rows.
    ns.forEach((s, i) => assertClose(s, nj[i], 2e-5, `LayerNorm output ${i}, SIMD vs JS`));
    const adam = async (simdOn: boolean) => {
      setSimdEnabled(simdOn);
      try {
        const params = [5, 8, 4099].map((len, i) => ({
          name: `p${i}`,
          variable: tf.tidy(() => tf.variable(rand([len], 100 + i))),
          decay: i !== 1,
        }));
        const opt = new AdamW(params, { weightDecay: 0.1 });
        for (let step = 0; step < 3; step++) {
          const grads = params.map((p, i) => rand([p.variable.size], 110 + 10 * step + i));
          opt.apply(grads, 0.01);
          tf.dispose(grads);
        }
        const state = await opt.state();
        const out = params.flatMap((p) => [
          p.variable.dataSync() as Float32Array,
          state.m.get(p.name)!,
          state.v.get(p.name)!,
        ]);
        opt.dispose();
        tf.dispose(params.map((p) => p.variable));
        return out;
      } finally {
        setSimdEnabled(true);
      }
    };
    const a = await adam(true), b = await adam(false);
    a.forEach((s, i) => assertClose(s, b[i], 1e-6, `AdamW output ${i}, SIMD vs JS`));
  },
});

for (
  const c of [
    { shape: [3, 8, 4, 6, 5], axis: 0 }, // attention's QKV split
    { shape: [4, 3, 5], axis: 1 },
    { shape: [4, 3, 5], axis: -1 },
    { shape: [6, 7], axis: 0, dtype: "int32" as const },
  ]
) {
  Deno.test({
    name: `Unpack ${JSON.stringify(c.shape)} axis ${c.axis} ${c.dtype ?? "float32"} equals reference`,
    ignore: !ok,
    async fn() {
      const before = nativeCallCounts().Unpack?.native ?? 0;
      await compare(
        () => {
          const x = rand(c.shape, 120);
          const parts = tf.unstack(c.dtype ? tf.cast(tf.mul(x, 1000), "int32") : x, c.axis);
          return parts.map((p) => p.toFloat());
        },
        "unpack",
        true,
        0,
      );
      assert.ok((nativeCallCounts().Unpack?.native ?? 0) > before, "ran natively");
      // The gradient of unstack (a Pack) through the native kernel.
      await compare(
        () => {
          const x = rand(c.shape, 121);
          return tf.grad((t: tf.Tensor) =>
            tf.addN(tf.unstack(t, c.axis).map((p, i) => tf.sum(tf.mul(p, i + 1))))
          )(x);
        },
        "unpack grad",
        true,
        1e-6,
      );
    },
  });
}

Deno.test({
  name:
    "fused log-softmax and the Softmax gradient: forward and gradients equal tfjs's composed ops (widths 256, 64, 6)",
  ignore: !ok,
  async fn() {
    const before = {
      log: nativeCallCounts().MlLogSoftmaxGrad?.native ?? 0,
      soft: nativeCallCounts().MlSoftmaxGrad?.native ?? 0,
    };
    for (const shape of [[512, 256], [2, 3, 64, 64], [7, 6]]) {
      for (const simd of [true, false]) {
        setSimdEnabled(simd);
        try {
          // logits up to ±40: exp over a wide range; cpu runs tf.logSoftmax, native the fused kernels.
          await compare(
            () => {
              const x = tf.mul(rand(shape, 140), 80), w = rand(shape, 141);
              const [gx] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(logSoftmax(t), w)))([x]);
              return [logSoftmax(x), gx];
            },
            `logSoftmax ${JSON.stringify(shape)} simd ${simd}`,
            true,
            2e-6,
          );
          await compare(
            () => {
              const x = tf.mul(rand(shape, 142), 20), w = rand(shape, 143);
              const [gx] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(tf.softmax(t), w)))([x]);
              return [tf.softmax(x), gx];
            },
            `softmax ${JSON.stringify(shape)} simd ${simd}`,
            true,
            2e-6,
          );
        } finally {
          setSimdEnabled(true);
        }
      }
    }
    assert.equal(
      nativeCallCounts().MlLogSoftmaxGrad.native - before.log,
      6,
      "the fused log-softmax gradient ran",
    );
    assert.equal(nativeCallCounts().MlSoftmaxGrad.native - before.soft, 6, "the Softmax gradient kernel ran");
  },
});

Deno.test({
  name:
    "ml/linear.ts matMul2d's gradient uses OpenBLAS's transposed operands (no Transpose kernel) and equals cpu",
  ignore: !ok,
  async fn() {
    const f = () => {
      const a = rand([33, 20], 150),
        b = tf.tidy(() => tf.variable(rand([20, 17], 151))),
        w = rand([33, 17], 152);
      const out = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
        tf.sum(tf.mul(matMul2d(x as tf.Tensor2D, y as tf.Tensor2D), w))
      )([
        a,
        b,
      ]);
      b.dispose();
      return out;
    };
    installNativeKernels();
    const transposes = nativeCallCounts().Transpose?.native ?? 0;
    tf.tidy(() => f().forEach((t) => t.dataSync()));
    assert.equal(nativeCallCounts().Transpose?.native ?? 0, transposes, "no Transpose kernel ran");
    await compare(f, "matMul2d grads");
  },
});

Deno.test({
  name: "profileKernelsBest counts each kernel's calls, keeps per-kernel minima and restores the kernels",
  ignore: !ok,
  async fn() {
    installNativeKernels();
    const before = tf.getKernel("BatchMatMul", "wasm")!.kernelFunc;
    const a = rand([16, 8], 160), b = rand([8, 4], 161), c = rand([4], 162);
    const profile = await profileKernelsBest(() => tf.tidy(() => tf.add(tf.matMul(a, b), c).dataSync()), 3);
    const calls = Object.fromEntries(profile.ops.map((o) => [o.kernel, o.calls]));
    assert.equal(calls.BatchMatMul, 1);
    assert.equal(calls.Add, 1);
    assert.ok(profile.ops.every((o) => o.ms >= 0));
    assert.equal(profile.kernelMs, profile.ops.reduce((sum, o) => sum + o.ms, 0));
    assert.equal(tf.getKernel("BatchMatMul", "wasm")!.kernelFunc, before, "the timed wrappers are removed");
    assert.match(profileTable([{ label: "x", profile }]), /\| BatchMatMul \| 1 \|/);
    tf.dispose([a, b, c]);
  },
});

Deno.test({
  name: "Cast to the same dtype aliases without a copy; other casts fall back and equal reference",
  ignore: !ok,
  async fn() {
    installNativeKernels();
    const x = rand([7, 5], 24);
    const y = tf.cast(x, "float32");
    assert.equal(y.dataId, x.dataId, "the cast shares its input's memory");
    x.dispose();
    assert.deepEqual(Array.from(y.dataSync()).length, 35, "the alias outlives the disposed input");
    y.dispose();
    const fallbacks = nativeCallCounts().Cast.fallback;
    await compare(() => tf.cast(tf.cast(tf.mul(rand([9, 4], 25), 10), "int32"), "float32"), "cast int");
    assert.ok(nativeCallCounts().Cast.fallback > fallbacks, "float32 <-> int32 casts use the stock kernel");
  },
});

Deno.test({
  name: "fused AdamW kernel: three updates (decay on and off) equal the composed ops on cpu and stock wasm",
  ignore: !ok,
  async fn() {
    /** Three AdamW updates of two parameters (one decays) with seeded gradients; returns p, m, v. */
    const run = async () => {
      const params = [
        { name: "w", variable: tf.tidy(() => tf.variable(rand([33, 17], 30))), decay: true },
        { name: "b", variable: tf.tidy(() => tf.variable(rand([17], 31))), decay: false },
      ];
      const opt = new AdamW(params, { weightDecay: 0.1 });
      for (let step = 0; step < 3; step++) {
        const grads = [rand([33, 17], 40 + step), rand([17], 50 + step)];
        opt.apply(grads, 0.01);
        tf.dispose(grads);
      }
      const state = await opt.state();
      const out = [
        ...params.map((p) => p.variable.dataSync() as Float32Array),
        ...["w", "b"].flatMap((k) => [state.m.get(k)!, state.v.get(k)!]),
      ];
      opt.dispose();
      tf.dispose(params.map((p) => p.variable));
      return out;
    };
    assert.ok(await tf.setBackend("cpu"));
    const cpu = await run();
    assert.ok(await tf.setBackend("wasm"));
    uninstallNativeKernels();
    const stock = await run();
    installNativeKernels();
    const before = nativeCallCounts().MlAdamWUpdate?.native ?? 0;
    const tensors = tf.memory().numTensors;
    const fused = await run();
    assert.equal(tf.memory().numTensors, tensors, "no tensors leak");
    assert.equal(
      nativeCallCounts().MlAdamWUpdate.native - before,
      6,
      "one fused call per parameter and step",
    );
    fused.forEach((f, i) => {
      assertClose(f, cpu[i], 1e-5, `output ${i}, fused vs cpu`);
      assertClose(f, stock[i], 1e-5, `output ${i}, fused vs stock wasm`);
    });
    uninstallNativeKernels();
    assert.equal(tf.getKernel("MlAdamWUpdate", "wasm"), undefined, "uninstall removes the added kernel");
  },
});

Deno.test({
  name: "fused GELU: forward and gradient equal the composed ops on cpu and stock wasm",
  ignore: !ok,
  async fn() {
    const before = nativeCallCounts().MlGeluGrad?.native ?? 0;
    await compare(() => gelu(tf.mul(rand([65, 47], 60), 8)), "gelu", true, 2e-6);
    await compare(
      () => {
        const w = rand([65, 47], 61);
        return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gelu(t), w)))(tf.mul(rand([65, 47], 62), 8));
      },
      "gelu grad",
      true,
      2e-6,
    );
    assert.ok(nativeCallCounts().MlGeluGrad.native > before, "the fused gradient ran");
  },
});

Deno.test({
  name:
    "fused LayerNorm: forward and gradients of x, gain and bias (with and without bias) equal the composed ops",
  ignore: !ok,
  async fn() {
    const before = nativeCallCounts().MlLayerNormGrad?.native ?? 0;
    for (const withBias of [true, false]) {
      await compare(
        () => {
          const x = tf.add(tf.mul(rand([3, 5, 40], 70), 4), 1.5);
          const g = tf.add(rand([40], 71), 1), b = rand([40], 72), w = rand([3, 5, 40], 73);
          if (!withBias) {
            const f = (xx: tf.Tensor, gg: tf.Tensor) => tf.sum(tf.mul(layerNorm(xx, gg, undefined, 1e-5), w));
            return [layerNorm(x, g), ...tf.grads(f)([x, g])];
          }
          const f = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(layerNorm(xx, gg, bb), w));
          return [layerNorm(x, g, b), ...tf.grads(f)([x, g, b])];
        },
        `layer norm, bias ${withBias}`,
        true,
        1e-5,
      );
    }
    assert.equal(nativeCallCounts().MlLayerNormGrad.native - before, 2, "the fused gradient ran");
  },
});

Deno.test({
  name: "a small transformer-style training step leaks no tensors with the native kernels",
  ignore: !ok,
  fn() {
    installNativeKernels();
    const w = tf.variable(rand([24, 24], 13));
    const x = rand([2, 8, 3, 2, 4], 14);
    const opt = tf.train.adam(0.01);
    const step = () =>
      opt.minimize(
        () => {
          const t = tf.reshape(tf.transpose(x, [2, 0, 3, 1, 4]), [24, 16]);
          const y = tf.matMul(w, t, true, false);
          return tf.mean(tf.pow(y, 2)) as tf.Scalar;
        },
        true,
        [w],
      )!;
    step().dispose();
    const before = tf.memory().numTensors;
    const losses = [0, 1, 2].map(() => {
      const l = step();
      const v = l.dataSync()[0];
      l.dispose();
      return v;
    });
    assert.equal(tf.memory().numTensors, before);
    assert.ok(losses[2] < losses[0], `loss falls: ${losses}`);
    tf.dispose([w, x]);
    opt.dispose();
  },
});
