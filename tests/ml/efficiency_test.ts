import assert from "node:assert/strict";
import { initBackend } from "../../ml/backend.ts";
import {
  ARCHITECTURES,
  fullFineTuneMemory,
  gpt2Architecture,
  loraMatrixParameters,
  loraMemory,
  loraParameters,
  loraReduction,
  perLayerRanks,
  rankForFraction,
  rankForMemory,
  targetLinears,
  totalParameters,
} from "../../ml/efficiency.ts";
import { Linear } from "../../ml/linear.ts";
import { LoraModel } from "../../ml/lora.ts";
import { Module } from "../../ml/module.ts";

await initBackend();

Deno.test("totals computed from shapes equal the published parameter counts", () => {
  // HuggingFace `model.num_parameters()` of bert-base-uncased, bert-large-uncased (with pooler), gpt2*.
  assert.equal(totalParameters(ARCHITECTURES["bert-base"]), 109_482_240);
  assert.equal(totalParameters(ARCHITECTURES["bert-large"]), 335_141_888);
  assert.equal(totalParameters(ARCHITECTURES["gpt2"]), 124_439_808);
  assert.equal(totalParameters(ARCHITECTURES["gpt2-medium"]), 354_823_168);
  assert.equal(totalParameters(ARCHITECTURES["gpt2-large"]), 774_030_080);
});

Deno.test("one matrix: r(d+k) parameters and reduction 1 - r(d+k)/(dk)", () => {
  assert.equal(loraMatrixParameters(768, 768, 8), 12_288);
  assert.equal(loraReduction(768, 768, 8), 1 - 12_288 / 589_824);
  assert.equal(loraMatrixParameters(768, 2304, 4), 12_288);
  assert.equal(loraReduction(10, 10, 5), 0);
});

Deno.test("whole models: the counts PEFT prints for r=8 (BERT q,v and GPT-2 c_attn)", () => {
  assert.equal(loraParameters(ARCHITECTURES["bert-base"], "qv", 8), 294_912);
  const gpt2 = ARCHITECTURES["gpt2"];
  assert.deepEqual(targetLinears(gpt2, "qv").map((l) => l.name), ["attn.c_attn"]);
  assert.equal(loraParameters(gpt2, "qv", 8), 294_912);
  assert.equal(totalParameters(gpt2) + loraParameters(gpt2, "qv", 8), 124_734_720);
});

Deno.test("memory: full fine-tuning holds 4 copies (weights, grads, 2 Adam moments); LoRA only 1 + adapters", () => {
  const a = ARCHITECTURES["gpt2"];
  const p = totalParameters(a);
  assert.deepEqual(fullFineTuneMemory(a, "fp32"), {
    weights: 4 * p,
    gradients: 4 * p,
    optimizer: 8 * p,
    total: 16 * p,
    trainable: p,
  });
  assert.equal(fullFineTuneMemory(a, "bf16").total, 8 * p);
  const added = loraParameters(a, "qv", 8);
  assert.equal(loraMemory(a, "qv", 8, "bf16").total, 2 * (p + added) + 2 * added + 4 * added);
});

Deno.test("rank selection for a trainable fraction and for a memory budget is maximal", () => {
  for (const a of Object.values(ARCHITECTURES)) {
    for (const f of [0.005, 0.01, 0.05]) {
      const s = rankForFraction(a, "all-linear", f);
      assert.ok(s.rank !== null && s.fraction <= f);
      const next = loraParameters(a, "all-linear", s.rank + 1);
      assert.ok(next / (totalParameters(a) + next) > f);
    }
    const budget = 1.01 * 2 * totalParameters(a); // the frozen bf16 weights + 1%
    const m = rankForMemory(a, "qv", budget, "bf16");
    assert.ok(m.rank !== null && loraMemory(a, "qv", m.rank, "bf16").total <= budget);
    assert.ok(loraMemory(a, "qv", m.rank + 1, "bf16").total > budget);
  }
  assert.equal(rankForMemory(ARCHITECTURES["gpt2"], "qv", 1000, "fp32").rank, null);
  // r = 1 on all linears of BERT-base is already 0.15%: a 0.1% budget is unreachable, q,v fits it.
  assert.equal(rankForFraction(ARCHITECTURES["bert-base"], "all-linear", 0.001).rank, null);
  assert.equal(rankForFraction(ARCHITECTURES["bert-base"], "qv", 0.001).rank, 2);
});

Deno.test("per-layer ranks give each shape at most the target fraction of its own parameters", () => {
  const ranks: Record<string, number> = perLayerRanks(ARCHITECTURES["gpt2"], "all-linear", 0.01);
  assert.deepEqual({ ...ranks }, { "attn.c_attn": 5, "attn.c_proj": 3, "mlp.c_fc": 6, "mlp.c_proj": 6 });
  for (const l of targetLinears(ARCHITECTURES["gpt2"], "all-linear")) {
    assert.ok(
      loraMatrixParameters(l.inFeatures, l.outFeatures, ranks[l.name]) <= 0.01 * l.inFeatures * l.outFeatures,
    );
  }
});

Deno.test("the arithmetic agrees with LoraModel.apply on a real (tiny) GPT-2-shaped module tree", () => {
  const arch = gpt2Architecture("tiny", 2, 8);
  class Layer extends Module {
    constructor() {
      super();
      for (const l of arch.linears) {
        this.registerLinear(l.name.replace(".", "_"), new Linear(l.inFeatures, l.outFeatures));
      }
    }
  }
  class Model extends Module {
    constructor() {
      super();
      for (let i = 0; i < arch.layers; i++) this.registerModule(`h.${i}`, new Layer());
    }
  }
  for (const preset of ["qv", "attention", "all-linear"] as const) {
    const m = new Model();
    const names = targetLinears(arch, preset).map((l) => l.name.replace(".", "_"));
    const lora = LoraModel.apply(m, { rank: 3, alpha: 3, targetModules: names });
    assert.equal(lora.report().added, loraParameters(arch, preset, 3), preset);
    m.dispose();
  }
});
