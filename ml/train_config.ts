/**
 * Options of a training run: a JSON config file plus command-line flags (flags win), validated with zod
 * into one typed object. Unknown options and bad values are reported one line each, naming the option
 * as a flag (`--lora.r: expected an integer ≥ 1 (got "x")`).
 *
 * Flags: `--key value`, `--key=value`, `--flag` (true), `--no-flag` (false); nested keys with dots
 * (`--lora.r 8`, `--model.layers 2`); lists comma-separated (`--lora.targetModules q,v`).
 */
import { CodedError } from "./errors.ts";
import { z } from "zod";

const positiveInt = z.number({ message: "expected a number" }).int({ message: "expected an integer" })
  .min(1, { message: "expected an integer ≥ 1" });
const nonNegInt = z.number({ message: "expected a number" }).int({ message: "expected an integer" })
  .min(0, { message: "expected an integer ≥ 0" });
const rate = z.number({ message: "expected a number" }).min(0, { message: "expected a number ≥ 0" });
const list = z.preprocess(
  (v) => (typeof v === "string" ? v.split(",").map((s) => s.trim()).filter(Boolean) : v),
  z.array(z.string().min(1)).min(1, { message: "expected at least one name" }),
);

/** The model sizes a pretraining run starts from (ignored when continuing from `base`). */
export const modelOptionsSchema = z.strictObject({
  blockSize: positiveInt.default(128),
  layers: positiveInt.default(4),
  heads: positiveInt.default(4),
  dModel: positiveInt.default(128),
  mlpRatio: positiveInt.default(4),
  bias: z.boolean().default(true),
}).refine((m) => m.dModel % m.heads === 0, {
  message: "dModel must be divisible by heads",
  path: ["dModel"],
});

/** All options of `deno task train`. */
export const trainConfigSchema = z.strictObject({
  /** `pretrain`: all weights on a text corpus. `lora`: adapters on Alpaca records from `base`. */
  mode: z.enum(["pretrain", "lora"], { message: "expected pretrain or lora" }),
  /** Run folder; default `runs/<mode>-<timestamp>`. */
  out: z.string().min(1).optional(),
  /** Training and validation data: text files (pretrain) or Alpaca/ShareGPT/OpenAI-messages JSON/JSONL (lora). */
  data: z.strictObject({
    train: z.string({ message: "expected a file path" }).min(1),
    val: z.string().min(1).optional(),
    /** Without `val`: the fraction held out from the end of `train`. */
    valFraction: z.number().gt(0).lt(1).default(0.05),
    /** Use at most this many characters (pretrain) or records (lora) of `train`; 0 = all. */
    limit: nonNegInt.default(0),
  }),
  /** Base checkpoint folder (required for lora; pretrain continues from it when set). */
  base: z.string().min(1).optional(),
  /** Tokenizer of a new pretraining run: a BPE with this vocabulary trained on the training text. */
  tokenizer: z.strictObject({
    vocabSize: z.number().int().min(257, { message: "expected ≥ 257 (256 bytes + EOS)" }).default(512),
    /** Characters of training text the BPE learns from; 0 = all. */
    trainChars: nonNegInt.default(2_000_000),
  }).prefault({}),
  model: modelOptionsSchema.prefault({}),
  lora: z.strictObject({
    r: positiveInt.default(8),
    alpha: z.number().positive().default(16),
    dropout: rate.lt(1, { message: "expected a rate in [0, 1)" }).default(0),
    targetModules: list.default(["q", "v"]),
  }).prefault({}),
  steps: positiveInt.default(200),
  batchSize: positiveInt.default(8),
  gradAccum: positiveInt.default(1),
  /** Sequence length of training windows; default (and at most) the model's blockSize. */
  seqLen: positiveInt.optional(),
  lr: rate.default(1e-3),
  minLr: rate.default(1e-4),
  warmupSteps: nonNegInt.default(20),
  weightDecay: rate.default(0.1),
  beta1: rate.max(1).default(0.9),
  beta2: rate.max(1).default(0.95),
  /** Global gradient-norm clip; 0 = off. */
  clip: rate.default(1.0),
  evalEvery: positiveInt.default(50),
  evalBatches: positiveInt.default(4),
  /** Save a resumable checkpoint every N steps (and always at the end or on Ctrl+C). */
  saveEvery: positiveInt.default(100),
  seed: nonNegInt.default(1337),
  /** Storage dtype of the final weights (tfjs computes in float32; F16/BF16 halve the file). */
  dtype: z.enum(["F32", "F16", "BF16"]).default("F32"),
  /** lora: also write the base with the adapter merged into `merged/`. */
  saveMerged: z.boolean().default(false),
  /** Continue the run in `out` from its last checkpoint. */
  resume: z.boolean().default(false),
  /** Replace an existing run folder `out` (without it, and without `resume`, such a folder is refused). */
  overwrite: z.boolean().default(false),
  /** Stop (saving a checkpoint) after this many seconds; 0 = no limit. */
  maxSeconds: rate.default(0),
  /** Backend (`wasm`, `cpu`, `webgpu`); default from ML_BACKEND, else wasm. */
  backend: z.enum(["wasm", "cpu", "webgpu"]).optional(),
}).superRefine((c, ctx) => {
  if (c.mode === "lora" && !c.base) {
    ctx.addIssue({ code: "custom", path: ["base"], message: "lora mode needs --base <checkpoint dir>" });
  }
  if (c.minLr > c.lr) ctx.addIssue({ code: "custom", path: ["minLr"], message: "must not exceed lr" });
  if (c.resume && c.overwrite) {
    ctx.addIssue({ code: "custom", path: ["overwrite"], message: "cannot be combined with --resume" });
  }
});

/** Validated training options. */
export type TrainConfig = z.output<typeof trainConfigSchema>;

/** Invalid options; `problems` has one line per problem. */
export class TrainConfigError extends CodedError<"TRAIN_CONFIG_INVALID"> {
  /** An error listing `problems`, one per line. */
  constructor(readonly problems: string[]) {
    super("TRAIN_CONFIG_INVALID", `invalid training options:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "TrainConfigError";
  }
}

function coerce(raw: string): unknown {
  if (raw === "true") return true;
  if (raw === "false") return false;
  if (/^-?(\d+\.?\d*|\.\d+)(e-?\d+)?$/i.test(raw)) return Number(raw);
  if (/^[[{]/.test(raw)) {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  return raw;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

/** Flags as a nested object, plus the `--config` file path if given. */
export function parseFlags(args: readonly string[]): { config?: string; values: Record<string, unknown> } {
  const values: Record<string, unknown> = {};
  let config: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--")) {
      throw new TrainConfigError([`unexpected argument "${arg}" (options start with --)`]);
    }
    let key = arg.slice(2);
    let value: unknown;
    const eq = key.indexOf("=");
    if (eq >= 0) {
      value = coerce(key.slice(eq + 1));
      key = key.slice(0, eq);
    } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
      value = coerce(args[++i]);
    } else if (key.startsWith("no-")) {
      key = key.slice(3);
      value = false;
    } else value = true;
    if (key === "config") {
      config = String(value);
      continue;
    }
    setPath(values, key.split("."), value);
  }
  return { config, values };
}

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      typeof v === "object" && v !== null && !Array.isArray(v) && typeof prev === "object" && prev !== null &&
        !Array.isArray(prev)
        ? merge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/** Validates a raw options object (file contents merged with flags). */
export function parseTrainConfig(raw: unknown): TrainConfig {
  const r = trainConfigSchema.safeParse(raw);
  if (r.success) return r.data;
  throw new TrainConfigError(r.error.issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    const got = path ? lookup(raw, issue.path.map(String)) : undefined;
    const shown = issue.code === "unrecognized_keys"
      ? `unknown option ${issue.keys.map((k) => `--${path ? `${path}.` : ""}${k}`).join(", ")}`
      : `${path ? `--${path}` : "options"}: ${issue.message}${
        got === undefined ? "" : ` (got ${JSON.stringify(got)})`
      }`;
    return shown;
  }));
}

function lookup(raw: unknown, path: string[]): unknown {
  let node = raw;
  for (const k of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[k];
  }
  return node;
}

/** Reads `--config` (if any), merges the flags over it, and validates. */
export async function loadTrainConfig(
  args: readonly string[],
  base: Record<string, unknown> = {},
): Promise<TrainConfig> {
  const { config, values } = parseFlags(args);
  let file: Record<string, unknown> = {};
  if (config) {
    let text: string;
    try {
      text = await Deno.readTextFile(config);
    } catch (e) {
      throw new TrainConfigError([`--config: cannot read ${config}: ${(e as Error).message}`]);
    }
    try {
      file = JSON.parse(text);
    } catch (e) {
      throw new TrainConfigError([`--config: ${config} is not JSON: ${(e as Error).message}`]);
    }
  }
  return parseTrainConfig(merge(merge(base, file), values));
}

/** What each option does, by dotted name; {@link trainOptionsHelp} adds the defaults. */
const OPTION_HELP: Record<string, string> = {
  mode: "pretrain (all weights, text corpus) or lora (adapters on instruction/chat data from --base)",
  out: "run folder (default runs/<mode>-<time>); an existing one needs --resume or --overwrite",
  "data.train": "training file: text (pretrain), or Alpaca, ShareGPT or OpenAI-messages JSON/JSONL (lora)",
  "data.val": "validation file (default: hold out --data.valFraction of --data.train)",
  "data.valFraction": "fraction held out from the end of --data.train when --data.val is unset",
  "data.limit": "use at most this many characters (pretrain) or records (lora) of --data.train; 0 = all",
  base: "base checkpoint folder (required for lora; pretrain continues from it when set)",
  "tokenizer.vocabSize": "BPE vocabulary of a new pretraining run (256 bytes + merges + EOS)",
  "tokenizer.trainChars": "characters of training text the BPE learns from; 0 = all",
  "model.blockSize": "context length of a new model",
  "model.layers": "transformer blocks of a new model",
  "model.heads": "attention heads of a new model",
  "model.dModel": "width of a new model (divisible by heads)",
  "model.mlpRatio": "MLP hidden width as a multiple of dModel",
  "model.bias": "biases in linears and LayerNorms",
  "lora.r": "LoRA rank",
  "lora.alpha": "LoRA alpha (the update is scaled by alpha/r)",
  "lora.dropout": "dropout on the LoRA path's input, in [0, 1)",
  "lora.targetModules": "comma-separated linear names to adapt (q,k,v,o,fc,proj)",
  steps: "optimizer updates",
  batchSize: "sequences per micro-batch",
  gradAccum: "micro-batches accumulated per update",
  seqLen: "training window length (default and at most the model's blockSize)",
  lr: "peak learning rate (AdamW)",
  minLr: "learning rate at the end of the cosine decay",
  warmupSteps: "linear warm-up updates",
  weightDecay: "AdamW weight decay",
  beta1: "AdamW beta1",
  beta2: "AdamW beta2",
  clip: "global gradient-norm clip; 0 = off",
  evalEvery: "validation loss every N updates",
  evalBatches: "validation batches per evaluation",
  saveEvery: "resumable checkpoint every N updates (and at the end or on Ctrl+C)",
  seed: "seed of initial weights, batches and dropout",
  dtype: "storage dtype of the saved weights: F32, F16 or BF16",
  saveMerged: "lora: also save the base with the adapter merged into merged/",
  resume: "continue the run in --out from its checkpoint",
  overwrite: "replace the run in --out (refused without it)",
  maxSeconds: "stop with a checkpoint after this many seconds; 0 = no limit",
  backend: "wasm, cpu or webgpu (default: ML_BACKEND, else wasm)",
};

/** The dotted names of every option the schema accepts (`lora.r`, `steps`, ...), in schema order. */
export function trainOptionNames(): string[] {
  const walk = (schema: z.ZodType, prefix: string): string[] => {
    let t = schema;
    for (let inner = innerOf(t); inner; inner = innerOf(t)) t = inner;
    if (t instanceof z.ZodObject) {
      return Object.entries(t.shape as Record<string, z.ZodType>).flatMap(([k, v]) =>
        walk(v, `${prefix}${k}.`)
      );
    }
    return [prefix.slice(0, -1)];
  };
  return walk(trainConfigSchema, "");
}

function innerOf(t: z.ZodType): z.ZodType | undefined {
  return (t._zod.def as { innerType?: z.ZodType }).innerType;
}

/** `--help` text: every option with what it does and its default, computed from the schema. */
export function trainOptionsHelp(): string {
  const defaults = trainConfigSchema.parse({ mode: "pretrain", data: { train: "-" } });
  const rows = trainOptionNames().map((name) => {
    const value = lookup(defaults, name.split("."));
    const shown = name === "mode" || name === "data.train"
      ? "required"
      : value === undefined
      ? "default: unset"
      : `default ${Array.isArray(value) ? value.join(",") : String(value)}`;
    return [`--${name}`, `${OPTION_HELP[name] ?? ""} (${shown})`];
  });
  rows.unshift(["--config <file.json>", "options as a JSON object; flags override it"]);
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
  return rows.map(([flag, text]) => `  ${flag.padEnd(width)}${text}`).join("\n");
}
