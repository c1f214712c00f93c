/** A two-block transformer-like model built from the ml/ pieces, for model-level LoRA tests. */
import { tf } from "../../ml/backend.ts";
import { MultiHeadAttention } from "../../ml/attention.ts";
import { Linear } from "../../ml/linear.ts";
import { Module } from "../../ml/module.ts";

class Mlp extends Module {
  constructor(d: number, seed: number) {
    super();
    this.registerLinear("fc", new Linear(d, 4 * d, { seed }));
    this.registerLinear("proj", new Linear(4 * d, d, { seed: seed + 1 }));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.linear("proj").forward(tf.relu(this.linear("fc").forward(x))));
  }
}

class Block extends Module {
  readonly attn: MultiHeadAttention;
  readonly mlp: Mlp;
  constructor(d: number, heads: number, seed: number) {
    super();
    this.attn = this.registerModule("attn", new MultiHeadAttention({ dModel: d, heads, seed }));
    this.mlp = this.registerModule("mlp", new Mlp(d, seed * 7 + 3));
  }
  forward(x: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => {
      const h = tf.add(x, this.attn.forward(x, { causal: true }).output) as tf.Tensor3D;
      return tf.add(h, this.mlp.forward(h)) as tf.Tensor3D;
    });
  }
}

/** Residual blocks of causal attention + MLP, with a final `head` linear. */
export class TinyModel extends Module {
  readonly blocks: Block[] = [];
  constructor(readonly d = 8, heads = 2, layers = 2, seed = 1) {
    super();
    for (let i = 0; i < layers; i++) {
      this.blocks.push(this.registerModule(`blocks.${i}`, new Block(d, heads, seed + i)));
    }
    this.registerLinear("head", new Linear(d, 5, { seed: seed + 99 }));
  }
  forward(x: tf.Tensor3D): tf.Tensor {
    return tf.tidy(() => {
      let h = x;
      for (const b of this.blocks) h = b.forward(h);
      return this.linear("head").forward(h);
    });
  }
}
