import assert from "node:assert/strict";
import {
  fromPeftConfigJson,
  isTargetModule,
  LoraError,
  parseLoraConfig,
  rankAndAlphaFor,
  toPeftConfigJson,
} from "../../../ml/lora.ts";

const invalid = (e: unknown) => e instanceof LoraError && e.code === "LORA_CONFIG_INVALID";

/** Field names of peft.LoraConfig + PeftConfig as written by `save_pretrained` (runtime_config excluded). */
const PEFT_FIELDS = [
  "alpha_pattern",
  "auto_mapping",
  "base_model_name_or_path",
  "bias",
  "exclude_modules",
  "fan_in_fan_out",
  "inference_mode",
  "init_lora_weights",
  "layer_replication",
  "layers_pattern",
  "layers_to_transform",
  "loftq_config",
  "lora_alpha",
  "lora_dropout",
  "megatron_config",
  "megatron_core",
  "modules_to_save",
  "peft_type",
  "r",
  "rank_pattern",
  "revision",
  "target_modules",
  "task_type",
  "use_dora",
  "use_rslora",
];

Deno.test("defaults follow PEFT and invalid values are refused with every problem named", () => {
  const c = parseLoraConfig({ rank: 8, alpha: 16, targetModules: ["q", "v"] });
  assert.equal(c.dropout, 0);
  assert.equal(c.bias, "none");
  assert.equal(c.useRslora, false);
  assert.equal(c.initLoraWeights, "kaiming");
  assert.throws(() => parseLoraConfig({ rank: 0, alpha: 1, targetModules: ["q"] }), invalid);
  assert.throws(() => parseLoraConfig({ rank: 1.5, alpha: 1, targetModules: ["q"] }), invalid);
  assert.throws(() => parseLoraConfig({ rank: 4, alpha: 1, targetModules: [] }), invalid);
  assert.throws(() => parseLoraConfig({ rank: 4, alpha: 1, dropout: 1, targetModules: ["q"] }), invalid);
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => parseLoraConfig({ rank: 4, alpha: 1, bias: "some" as any, targetModules: ["q"] }),
    (e: unknown) => invalid(e) && /bias/.test((e as Error).message),
  );
});

Deno.test("target matching: exact or dotted suffix for names, full match for a RegExp", () => {
  const names = { targetModules: ["q", "attn.v"] };
  assert.ok(isTargetModule(names, "blocks.0.attn.q"));
  assert.ok(isTargetModule(names, "q"));
  assert.ok(isTargetModule(names, "blocks.3.attn.v"));
  assert.ok(!isTargetModule(names, "blocks.0.attn.qq"));
  assert.ok(!isTargetModule(names, "blocks.0.mlp.v"));
  const re = { targetModules: /blocks\.[01]\.attn\.(q|v)/ };
  assert.ok(isTargetModule(re, "blocks.1.attn.v"));
  assert.ok(!isTargetModule(re, "blocks.2.attn.v"));
  assert.ok(!isTargetModule(re, "x.blocks.1.attn.v"));
});

Deno.test("rank_pattern and alpha_pattern override per module as in PEFT", () => {
  const c = parseLoraConfig({
    rank: 8,
    alpha: 16,
    targetModules: ["q", "v"],
    rankPattern: { "blocks.0.attn.q": 2 },
    alphaPattern: { "v": 4 },
  });
  assert.deepEqual(rankAndAlphaFor(c, "blocks.0.attn.q"), { rank: 2, alpha: 16 });
  assert.deepEqual(rankAndAlphaFor(c, "blocks.10.attn.q"), { rank: 8, alpha: 16 });
  assert.deepEqual(rankAndAlphaFor(c, "blocks.1.attn.v"), { rank: 8, alpha: 4 });
});

Deno.test("adapter_config.json has exactly PEFT's field names and round-trips", () => {
  const c = parseLoraConfig({
    rank: 4,
    alpha: 32,
    dropout: 0.05,
    targetModules: ["q", "v"],
    useRslora: true,
    initLoraWeights: "gaussian",
    baseModelNameOrPath: "mini-claude/tiny",
  });
  const json = toPeftConfigJson(c);
  assert.deepEqual(Object.keys(json).sort(), PEFT_FIELDS);
  assert.equal(json.peft_type, "LORA");
  assert.equal(json.r, 4);
  assert.equal(json.lora_alpha, 32);
  assert.equal(json.lora_dropout, 0.05);
  assert.deepEqual(json.target_modules, ["q", "v"]);
  assert.equal(json.fan_in_fan_out, false);
  assert.equal(json.use_rslora, true);
  assert.equal(json.init_lora_weights, "gaussian");
  assert.equal(
    toPeftConfigJson(parseLoraConfig({ rank: 1, alpha: 1, targetModules: ["q"] })).init_lora_weights,
    true,
  );
  assert.deepEqual(fromPeftConfigJson(JSON.parse(JSON.stringify(json))), c);
  const re = fromPeftConfigJson(
    toPeftConfigJson(parseLoraConfig({ rank: 1, alpha: 1, targetModules: /.*\.(q|v)/ })),
  );
  assert.ok(re.targetModules instanceof RegExp && re.targetModules.source === ".*\\.(q|v)");
  assert.throws(() => fromPeftConfigJson({ ...json, use_dora: true }), invalid);
  assert.throws(() => fromPeftConfigJson({ ...json, fan_in_fan_out: true }), invalid);
  assert.throws(() => fromPeftConfigJson({ ...json, peft_type: "IA3" }), invalid);
});

Deno.test("modules_to_save and lora_bias are refused by name, not ignored", () => {
  const json = toPeftConfigJson(parseLoraConfig({ rank: 2, alpha: 4, targetModules: ["q"] }));
  const refused = (field: RegExp) => (e: unknown) => invalid(e) && field.test((e as Error).message);
  assert.throws(() => fromPeftConfigJson({ ...json, modules_to_save: ["head"] }), refused(/modules_to_save/));
  assert.throws(() => fromPeftConfigJson({ ...json, lora_bias: true }), refused(/lora_bias/));
  // What PEFT writes when neither is used still loads.
  assert.equal(fromPeftConfigJson({ ...json, modules_to_save: null, lora_bias: false }).rank, 2);
  assert.equal(fromPeftConfigJson({ ...json, modules_to_save: [] }).rank, 2);
});
