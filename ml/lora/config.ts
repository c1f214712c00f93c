/**
 * LoRA configuration as data (PEFT's `LoraConfig`), validated with zod, and its conversion to and from
 * PEFT's `adapter_config.json`.
 */
import { z } from "zod";
import { LoraError } from "./errors.ts";

const positiveInt = z.number().int().positive();

/** Schema of the accepted configuration (camelCase here, snake_case in `adapter_config.json`). */
export const LoraConfigSchema: z.ZodType<LoraConfig, LoraConfigInput> = z.object({
  /** Rank r of the update B·A. */
  rank: positiveInt,
  /** Scaling numerator: the update is multiplied by alpha/r (alpha/sqrt(r) with rsLoRA). */
  alpha: z.number().finite().positive(),
  /** Dropout on the LoRA path's input during training. */
  dropout: z.number().min(0).lt(1).default(0),
  /**
   * Which linears to adapt: a list of names, each matching a full name exactly or as its last dotted
   * parts (`"q"` matches `blocks.0.attn.q`), or a RegExp that must match the whole name (as PEFT's
   * `re.fullmatch`).
   */
  targetModules: z.union([z.array(z.string().min(1)).min(1), z.instanceof(RegExp)]),
  /** Which biases train: none, all biases of the model, or those of adapted layers. */
  bias: z.enum(["none", "all", "lora_only"]).default("none"),
  /** Rank-stabilized scaling alpha/sqrt(r). */
  useRslora: z.boolean().default(false),
  /** A's initialization: Kaiming-uniform (a = sqrt 5, PEFT's `true`) or N(0, 1/r²) (`"gaussian"`); B = 0. */
  initLoraWeights: z.enum(["kaiming", "gaussian"]).default("kaiming"),
  /** Per-module ranks overriding `rank`; keys are patterns matched as PEFT does (`(.*\.)?key$`). */
  rankPattern: z.record(z.string(), positiveInt).default({}),
  /** Per-module alphas overriding `alpha`, same key matching. */
  alphaPattern: z.record(z.string(), z.number().finite().positive()).default({}),
  /** Written to `base_model_name_or_path`. */
  baseModelNameOrPath: z.string().nullable().default(null),
  /** Written to `task_type`. */
  taskType: z.string().nullable().default("CAUSAL_LM"),
});

/** A validated configuration with defaults filled in (see {@link LoraConfigInput} for each field). */
export interface LoraConfig {
  /** Rank r of the update B·A. */
  rank: number;
  /** Scaling numerator. */
  alpha: number;
  /** Dropout on the LoRA path's input during training. */
  dropout: number;
  /** Names (exact or dotted suffix) or a RegExp matching whole names. */
  targetModules: string[] | RegExp;
  /** Which biases train. */
  bias: "none" | "all" | "lora_only";
  /** alpha/sqrt(r) instead of alpha/r. */
  useRslora: boolean;
  /** A's initialization. */
  initLoraWeights: "kaiming" | "gaussian";
  /** Per-module ranks. */
  rankPattern: Record<string, number>;
  /** Per-module alphas. */
  alphaPattern: Record<string, number>;
  /** Written to `base_model_name_or_path`. */
  baseModelNameOrPath: string | null;
  /** Written to `task_type`. */
  taskType: string | null;
}

/** What callers may pass: {@link LoraConfig} with every field but rank, alpha and targets optional. */
export interface LoraConfigInput {
  /** Rank r of the update B·A (a positive integer). */
  rank: number;
  /** Scaling numerator: the update is multiplied by alpha/r (alpha/sqrt(r) with rsLoRA). */
  alpha: number;
  /** Dropout on the LoRA path's input during training, in [0, 1). Default 0. */
  dropout?: number;
  /**
   * Which linears to adapt: a list of names, each matching a full name exactly or as its last dotted
   * parts (`"q"` matches `blocks.0.attn.q`), or a RegExp that must match the whole name (PEFT's
   * `re.fullmatch`).
   */
  targetModules: string[] | RegExp;
  /** Which biases train: none (default), all biases of the model, or those of adapted layers. */
  bias?: "none" | "all" | "lora_only";
  /** Rank-stabilized scaling alpha/sqrt(r). Default false. */
  useRslora?: boolean;
  /** A's initialization: Kaiming-uniform (default, PEFT's `true`) or N(0, 1/r²); B = 0. */
  initLoraWeights?: "kaiming" | "gaussian";
  /** Per-module ranks overriding `rank`; keys are patterns matched as PEFT does (`(.*\.)?key$`). */
  rankPattern?: Record<string, number>;
  /** Per-module alphas overriding `alpha`, same key matching. */
  alphaPattern?: Record<string, number>;
  /** Written to `base_model_name_or_path`. Default null. */
  baseModelNameOrPath?: string | null;
  /** Written to `task_type`. Default `CAUSAL_LM`. */
  taskType?: string | null;
}

/** Validates a configuration; throws `LoraError("LORA_CONFIG_INVALID")` naming every problem. */
export function parseLoraConfig(input: LoraConfigInput): LoraConfig {
  const result = LoraConfigSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".") || "config"}: ${i.message}`);
    throw new LoraError("LORA_CONFIG_INVALID", `invalid LoRA config: ${problems.join("; ")}`);
  }
  return result.data;
}

/** PEFT's rule: a list entry matches the name exactly or as a dotted suffix; a regex must match all of it. */
export function isTargetModule(config: Pick<LoraConfig, "targetModules">, name: string): boolean {
  const t = config.targetModules;
  if (t instanceof RegExp) {
    const m = new RegExp(t.source, t.flags.replace("g", "").replace("y", "")).exec(name);
    return m !== null && m.index === 0 && m[0].length === name.length;
  }
  return t.some((key) => name === key || name.endsWith(`.${key}`));
}

function patternValue<T>(pattern: Record<string, T>, name: string): T | undefined {
  for (const [key, value] of Object.entries(pattern)) {
    if (new RegExp(`^(.*\\.)?(${key})$`).test(name)) return value;
  }
  return undefined;
}

/** Rank and alpha for one module name after `rankPattern` / `alphaPattern`. */
export function rankAndAlphaFor(config: LoraConfig, name: string): { rank: number; alpha: number } {
  return {
    rank: patternValue(config.rankPattern, name) ?? config.rank,
    alpha: patternValue(config.alphaPattern, name) ?? config.alpha,
  };
}

/** The scaling factor applied to B·A·x: alpha/r, or alpha/sqrt(r) with rsLoRA. */
export function loraScaling(rank: number, alpha: number, useRslora: boolean): number {
  return useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
}

/** The JSON object PEFT writes as `adapter_config.json` (field names of `peft.LoraConfig`). */
export interface PeftLoraConfigJson {
  /** Per-module alphas. */
  alpha_pattern: Record<string, number>;
  /** Always null. */
  auto_mapping: null;
  /** The base model's name or path. */
  base_model_name_or_path: string | null;
  /** Which biases were trained. */
  bias: "none" | "all" | "lora_only";
  /** Always null. */
  exclude_modules: null;
  /** Always false (weights are [out, in]). */
  fan_in_fan_out: false;
  /** Whether the adapter is saved for inference. */
  inference_mode: boolean;
  /** `true` = Kaiming-uniform A, or `"gaussian"`. */
  init_lora_weights: true | "gaussian";
  /** Always null. */
  layer_replication: null;
  /** Always null. */
  layers_pattern: null;
  /** Always null. */
  layers_to_transform: null;
  /** Always empty. */
  loftq_config: Record<string, never>;
  /** Alpha. */
  lora_alpha: number;
  /** Dropout rate on the LoRA path. */
  lora_dropout: number;
  /** Always null. */
  megatron_config: null;
  /** PEFT's default. */
  megatron_core: "megatron.core";
  /** Always null (refused on load when set). */
  modules_to_save: null;
  /** Always `LORA`. */
  peft_type: "LORA";
  /** Rank. */
  r: number;
  /** Per-module ranks. */
  rank_pattern: Record<string, number>;
  /** Always null. */
  revision: null;
  /** Names, or a regex source matched in full. */
  target_modules: string[] | string;
  /** PEFT task type, e.g. `CAUSAL_LM`. */
  task_type: string | null;
  /** Always false (DoRA is refused on load). */
  use_dora: false;
  /** alpha/sqrt(r) scaling. */
  use_rslora: boolean;
}

/**
 * PEFT's `adapter_config.json` for a configuration. A RegExp target is written as its source, which
 * PEFT applies with Python's `re.fullmatch` (the common subset of JS and Python regex syntax is safe).
 */
export function toPeftConfigJson(config: LoraConfig, inferenceMode = true): PeftLoraConfigJson {
  return {
    alpha_pattern: { ...config.alphaPattern },
    auto_mapping: null,
    base_model_name_or_path: config.baseModelNameOrPath,
    bias: config.bias,
    exclude_modules: null,
    fan_in_fan_out: false,
    inference_mode: inferenceMode,
    init_lora_weights: config.initLoraWeights === "kaiming" ? true : "gaussian",
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: null,
    loftq_config: {},
    lora_alpha: config.alpha,
    lora_dropout: config.dropout,
    megatron_config: null,
    megatron_core: "megatron.core",
    modules_to_save: null,
    peft_type: "LORA",
    r: config.rank,
    rank_pattern: { ...config.rankPattern },
    revision: null,
    target_modules: config.targetModules instanceof RegExp
      ? config.targetModules.source
      : [...config.targetModules],
    task_type: config.taskType,
    use_dora: false,
    use_rslora: config.useRslora,
  };
}

const PeftJsonSchema = z.object({
  peft_type: z.literal("LORA"),
  r: positiveInt,
  lora_alpha: z.number(),
  lora_dropout: z.number().default(0),
  target_modules: z.union([z.array(z.string()), z.string()]),
  bias: z.enum(["none", "all", "lora_only"]).default("none"),
  use_rslora: z.boolean().default(false),
  init_lora_weights: z.union([z.boolean(), z.string()]).default(true),
  fan_in_fan_out: z.boolean().default(false),
  use_dora: z.boolean().default(false),
  rank_pattern: z.record(z.string(), positiveInt).nullable().default({}),
  alpha_pattern: z.record(z.string(), z.number()).nullable().default({}),
  base_model_name_or_path: z.string().nullable().default(null),
  task_type: z.string().nullable().default(null),
  modules_to_save: z.array(z.string()).nullable().default(null),
  lora_bias: z.boolean().default(false),
});

/** Reads PEFT's `adapter_config.json` object back into a configuration; refuses what this code cannot run. */
export function fromPeftConfigJson(json: unknown): LoraConfig {
  const r = PeftJsonSchema.safeParse(json);
  if (!r.success) {
    throw new LoraError(
      "LORA_CONFIG_INVALID",
      `adapter_config.json: ${r.error.issues.map((i) => i.message).join("; ")}`,
    );
  }
  const c = r.data;
  if (c.fan_in_fan_out) throw new LoraError("LORA_CONFIG_INVALID", "fan_in_fan_out=true is not supported");
  if (c.use_dora) throw new LoraError("LORA_CONFIG_INVALID", "DoRA adapters are not supported");
  if (c.modules_to_save !== null && c.modules_to_save.length > 0) {
    throw new LoraError(
      "LORA_CONFIG_INVALID",
      `modules_to_save=${JSON.stringify(c.modules_to_save)} is not supported (fully trained module copies)`,
    );
  }
  if (c.lora_bias) {
    throw new LoraError("LORA_CONFIG_INVALID", "lora_bias=true is not supported (a bias on lora_B)");
  }
  if (c.init_lora_weights !== true && c.init_lora_weights !== "gaussian" && c.init_lora_weights !== false) {
    throw new LoraError("LORA_CONFIG_INVALID", `init_lora_weights=${c.init_lora_weights} is not supported`);
  }
  return parseLoraConfig({
    rank: c.r,
    alpha: c.lora_alpha,
    dropout: c.lora_dropout,
    targetModules: typeof c.target_modules === "string" ? new RegExp(c.target_modules) : c.target_modules,
    bias: c.bias,
    useRslora: c.use_rslora,
    initLoraWeights: c.init_lora_weights === "gaussian" ? "gaussian" : "kaiming",
    rankPattern: c.rank_pattern ?? {},
    alphaPattern: c.alpha_pattern ?? {},
    baseModelNameOrPath: c.base_model_name_or_path,
    taskType: c.task_type,
  });
}
