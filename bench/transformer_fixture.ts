/**
 * A compact GPT-style decoder used only by `bench/native.bench.ts` (until `ml/model.ts` exists):
 * token embedding as oneHot(ids)·E (the gradient of gather fails on wasm), learned positions,
 * pre-LayerNorm blocks with fused QKV projection, causal softmax attention, tanh-GELU MLP, tied
 * output head, cross-entropy from ml/model.ts's logSoftmax, Adam (`ml/optim.ts`'s AdamW without decay). `bench/torch_reference.py` builds the same model.
 */
import * as tf from "@tensorflow/tfjs";
import { gelu, layerNorm as fusedLayerNorm, logSoftmax } from "../ml/model.ts";
import { AdamW } from "../ml/optim.ts";

/** Model and batch sizes. */
export interface FixtureConfig {
  batch: number;
  seq: number;
  dModel: number;
  heads: number;
  mlp: number;
  vocab: number;
  layers: number;
}

/** The small configuration. */
export const SMALL: FixtureConfig = {
  batch: 8,
  seq: 64,
  dModel: 128,
  heads: 4,
  mlp: 512,
  vocab: 256,
  layers: 2,
};
/** The larger configuration. */
export const LARGE: FixtureConfig = {
  batch: 8,
  seq: 128,
  dModel: 512,
  heads: 8,
  mlp: 2048,
  vocab: 256,
  layers: 2,
};

/** A fixture model with one Adam training step. */
export interface FixtureModel {
  config: FixtureConfig;
  /** One forward+backward+Adam update on the fixed batch; returns the loss. */
  step(): number;
  parameterCount: number;
  dispose(): void;
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Builds the model and a fixed random batch (seeded). */
export function buildFixture(config: FixtureConfig, seed = 1): FixtureModel {
  const { batch: B, seq: T, dModel: D, heads: H, mlp: F, vocab: V, layers: L } = config;
  const dh = D / H;
  const rnd = seeded(seed);
  const normal = (shape: number[], std: number) => {
    const n = shape.reduce((p, d) => p * d, 1);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = (rnd() + rnd() + rnd() - 1.5) * 2 * std; // ~N(0, std)
    return tf.variable(tf.tensor(v, shape));
  };
  const ones = (n: number) => tf.variable(tf.ones([n]));
  const zeros = (n: number) => tf.variable(tf.zeros([n]));
  const wte = normal([V, D], 0.02), wpe = normal([T, D], 0.01);
  const blocks = Array.from({ length: L }, () => ({
    ln1g: ones(D),
    ln1b: zeros(D),
    wqkv: normal([D, 3 * D], 0.02),
    bqkv: zeros(3 * D),
    wo: normal([D, D], 0.02 / Math.sqrt(2 * L)),
    bo: zeros(D),
    ln2g: ones(D),
    ln2b: zeros(D),
    w1: normal([D, F], 0.02),
    b1: zeros(F),
    w2: normal([F, D], 0.02 / Math.sqrt(2 * L)),
    b2: zeros(D),
  }));
  const lnfg = ones(D), lnfb = zeros(D);
  const vars: tf.Variable[] = [wte, wpe, lnfg, lnfb, ...blocks.flatMap((b) => Object.values(b))];
  const ids = tf.tensor2d(Array.from({ length: B * T }, () => Math.floor(rnd() * V)), [B, T], "int32");
  const targets = tf.tensor1d(Array.from({ length: B * T }, () => Math.floor(rnd() * V)), "int32");
  const mask = tf.tidy(() => tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([T, T]), -1, 0)), -1e9));
  // torch.optim.Adam(lr=1e-3)'s defaults (bench/torch_reference.py): AdamW without decay is Adam. With the
  // native kernels installed it runs as one fused kernel per parameter (ml/native/adamw.ts).
  const optimizer = new AdamW(vars.map((variable) => ({ name: variable.name, variable, decay: false })), {
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weightDecay: 0,
  });

  // ml/model.ts's LayerNorm and GELU: fused kernels with the native kernels installed, tfjs ops otherwise.
  const layerNorm = (x: tf.Tensor2D, g: tf.Tensor, b: tf.Tensor): tf.Tensor2D =>
    fusedLayerNorm(x, g, b, 1e-5) as tf.Tensor2D;
  const linear = (x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor) => tf.add(tf.matMul(x, w as tf.Tensor2D), b);

  const loss = (): tf.Scalar => {
    let x = tf.matMul(tf.oneHot(tf.reshape(ids, [B * T]), V), wte) as tf.Tensor2D;
    x = tf.reshape(tf.add(tf.reshape(x, [B, T, D]), wpe), [B * T, D]);
    for (const blk of blocks) {
      const h = layerNorm(x, blk.ln1g, blk.ln1b);
      const qkv = tf.transpose(tf.reshape(linear(h, blk.wqkv, blk.bqkv), [B, T, 3, H, dh]), [2, 0, 3, 1, 4]);
      const [q, k, v] = tf.unstack(qkv, 0) as tf.Tensor4D[];
      const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)), mask);
      const att = tf.matMul(tf.softmax(scores), v);
      const merged = tf.reshape(tf.transpose(att, [0, 2, 1, 3]), [B * T, D]) as tf.Tensor2D;
      x = tf.add(x, linear(merged, blk.wo, blk.bo));
      const m = gelu(linear(layerNorm(x, blk.ln2g, blk.ln2b), blk.w1, blk.b1)) as tf.Tensor2D;
      x = tf.add(x, linear(m, blk.w2, blk.b2));
    }
    const logits = tf.matMul(layerNorm(x, lnfg, lnfb), wte, false, true);
    // Mean cross-entropy as ml/model.ts's lossSum writes it (PyTorch: F.cross_entropy).
    return tf.neg(tf.mean(tf.sum(tf.mul(logSoftmax(logits), tf.oneHot(targets, V)), -1))) as tf.Scalar;
  };

  return {
    config,
    parameterCount: vars.reduce((s, v) => s + v.size, 0),
    step() {
      const { value, grads } = tf.variableGrads(loss, vars);
      optimizer.apply(vars.map((v) => grads[v.name]), 1e-3);
      const out = value.dataSync()[0];
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    },
    dispose() {
      tf.dispose([...vars, ids, targets, mask]);
      optimizer.dispose();
    },
  };
}
