/**
 * LoRA efficiency arithmetic: parameter counts of adapted matrices (`r·(d+k)` each), whole known
 * architectures from their exact shapes, training memory (weights, gradients, Adam state) for full
 * fine-tuning vs LoRA, and rank selection for a trainable-fraction or memory budget. Everything is
 * computed from shapes; nothing is typed in.
 */

/** What a linear layer does inside a transformer layer. */
export type LinearRole = "attn_q" | "attn_k" | "attn_v" | "attn_qkv" | "attn_o" | "mlp_in" | "mlp_out";

/** One linear matrix present once in every transformer layer. */
export interface LinearSpec {
  /** Module name as in the HuggingFace implementation (`attention.self.query`, `attn.c_attn`). */
  name: string;
  /** Role, for target presets. */
  role: LinearRole;
  /** Input features d. */
  inFeatures: number;
  /** Output features k. */
  outFeatures: number;
  /** Whether the linear has a bias. */
  bias: boolean;
}

/** A transformer architecture with its exact shapes. */
export interface Architecture {
  /** Display name (`BERT-base`). */
  name: string;
  /** `bert` (post-LN encoder with pooler) or `gpt2` (pre-LN decoder, fused QKV, tied head). */
  family: "bert" | "gpt2";
  /** Transformer layers. */
  layers: number;
  /** Hidden size. */
  hidden: number;
  /** MLP inner size. */
  intermediate: number;
  /** Vocabulary size. */
  vocab: number;
  /** Learned position embeddings. */
  positions: number;
  /** The linears of one layer. */
  linears: LinearSpec[];
}

/** A BERT encoder (post-LN, separate Q/K/V, MLP 4×hidden, pooler) of any size. */
export function bertArchitecture(name: string, layers: number, hidden: number): Architecture {
  const h = hidden, f = 4 * hidden;
  return {
    name,
    family: "bert",
    layers,
    hidden: h,
    intermediate: f,
    vocab: 30522,
    positions: 512,
    linears: [
      { name: "attention.self.query", role: "attn_q", inFeatures: h, outFeatures: h, bias: true },
      { name: "attention.self.key", role: "attn_k", inFeatures: h, outFeatures: h, bias: true },
      { name: "attention.self.value", role: "attn_v", inFeatures: h, outFeatures: h, bias: true },
      { name: "attention.output.dense", role: "attn_o", inFeatures: h, outFeatures: h, bias: true },
      { name: "intermediate.dense", role: "mlp_in", inFeatures: h, outFeatures: f, bias: true },
      { name: "output.dense", role: "mlp_out", inFeatures: f, outFeatures: h, bias: true },
    ],
  };
}

/** A GPT-2 decoder (pre-LN, fused QKV `c_attn`, MLP 4×hidden, tied head) of any size. */
export function gpt2Architecture(name: string, layers: number, hidden: number): Architecture {
  const h = hidden, f = 4 * hidden;
  return {
    name,
    family: "gpt2",
    layers,
    hidden: h,
    intermediate: f,
    vocab: 50257,
    positions: 1024,
    linears: [
      { name: "attn.c_attn", role: "attn_qkv", inFeatures: h, outFeatures: 3 * h, bias: true },
      { name: "attn.c_proj", role: "attn_o", inFeatures: h, outFeatures: h, bias: true },
      { name: "mlp.c_fc", role: "mlp_in", inFeatures: h, outFeatures: f, bias: true },
      { name: "mlp.c_proj", role: "mlp_out", inFeatures: f, outFeatures: h, bias: true },
    ],
  };
}

/** The architectures the report covers, with their published shapes. */
export const ARCHITECTURES: Record<string, Architecture> = {
  "bert-base": bertArchitecture("BERT-base", 12, 768),
  "bert-large": bertArchitecture("BERT-large", 24, 1024),
  "gpt2": gpt2Architecture("GPT-2 small", 12, 768),
  "gpt2-medium": gpt2Architecture("GPT-2 medium", 24, 1024),
  "gpt2-large": gpt2Architecture("GPT-2 large", 36, 1280),
};

/**
 * Total parameters from the shapes: embeddings, every layer's linears, biases and layer norms, and
 * the final parts (BERT: embedding LayerNorm and pooler; GPT-2: final LayerNorm, head tied to the
 * token embedding).
 */
export function totalParameters(a: Architecture): number {
  const h = a.hidden;
  const layerNorm = 2 * h;
  const perLayer =
    a.linears.reduce((s, l) => s + l.inFeatures * l.outFeatures + (l.bias ? l.outFeatures : 0), 0) +
    2 * layerNorm;
  const embeddings = (a.vocab + a.positions) * h + (a.family === "bert" ? 2 * h + layerNorm : 0);
  const tail = a.family === "bert" ? h * h + h : layerNorm;
  return embeddings + a.layers * perLayer + tail;
}

/** LoRA parameters of one adapted d×k matrix: r·(d+k). */
export function loraMatrixParameters(d: number, k: number, r: number): number {
  return r * (d + k);
}

/** Fraction of a d×k matrix's parameters LoRA saves: 1 − r(d+k)/(dk). */
export function loraReduction(d: number, k: number, r: number): number {
  return 1 - (r * (d + k)) / (d * k);
}

/** Which matrices to adapt. */
export type TargetPreset = "qv" | "attention" | "all-linear";

/** Roles of each preset. GPT-2 fuses Q, K and V in `c_attn`, so `qv` there means `c_attn` (PEFT's default). */
export const PRESET_ROLES: Record<TargetPreset, LinearRole[]> = {
  "qv": ["attn_q", "attn_v", "attn_qkv"],
  "attention": ["attn_q", "attn_k", "attn_v", "attn_qkv", "attn_o"],
  "all-linear": ["attn_q", "attn_k", "attn_v", "attn_qkv", "attn_o", "mlp_in", "mlp_out"],
};

/** The per-layer linears a preset adapts. */
export function targetLinears(a: Architecture, preset: TargetPreset): LinearSpec[] {
  return a.linears.filter((l) => PRESET_ROLES[preset].includes(l.role));
}

/** A rank for every target, or one rank for all. */
export type RankChoice = number | Record<string, number>;

function rankOf(choice: RankChoice, l: LinearSpec): number {
  return typeof choice === "number" ? choice : choice[l.name];
}

/** LoRA parameters added to the whole model (all layers). */
export function loraParameters(a: Architecture, preset: TargetPreset, ranks: RankChoice): number {
  return a.layers *
    targetLinears(a, preset).reduce(
      (s, l) => s + loraMatrixParameters(l.inFeatures, l.outFeatures, rankOf(ranks, l)),
      0,
    );
}

/** Numeric precisions of the memory model and their bytes per value. */
export const PRECISION_BYTES: { readonly fp32: 4; readonly bf16: 2 } = { fp32: 4, bf16: 2 };
/** A precision name. */
export type Precision = "fp32" | "bf16";

/** Training memory in bytes (activations excluded: they depend on batch and sequence length). */
export interface MemoryEstimate {
  /** All weights (frozen base plus adapters). */
  weights: number;
  /** One gradient per trainable parameter. */
  gradients: number;
  /** Adam's two moments per trainable parameter. */
  optimizer: number;
  /** Sum of the above. */
  total: number;
  /** Trainable parameters. */
  trainable: number;
}

/** Memory of training `trainable` of `total` parameters with Adam, every tensor in `precision`. */
export function trainingMemory(total: number, trainable: number, precision: Precision): MemoryEstimate {
  const b = PRECISION_BYTES[precision];
  const weights = total * b, gradients = trainable * b, optimizer = 2 * trainable * b;
  return { weights, gradients, optimizer, total: weights + gradients + optimizer, trainable };
}

/** Full fine-tuning memory: every parameter trains. */
export function fullFineTuneMemory(a: Architecture, precision: Precision): MemoryEstimate {
  const p = totalParameters(a);
  return trainingMemory(p, p, precision);
}

/** LoRA memory: frozen base weights plus adapters; only adapters have gradients and Adam state. */
export function loraMemory(
  a: Architecture,
  preset: TargetPreset,
  ranks: RankChoice,
  precision: Precision,
): MemoryEstimate {
  const added = loraParameters(a, preset, ranks);
  return trainingMemory(totalParameters(a) + added, added, precision);
}

function maxRank(a: Architecture, preset: TargetPreset): number {
  return Math.min(...targetLinears(a, preset).map((l) => Math.min(l.inFeatures, l.outFeatures)));
}

/** Result of a rank search. */
export interface RankSelection {
  /** The chosen rank, or null when even r = 1 does not fit. */
  rank: number | null;
  /** Trainable parameters at that rank. */
  trainable: number;
  /** trainable / (base + trainable). */
  fraction: number;
}

function selection(a: Architecture, preset: TargetPreset, rank: number | null): RankSelection {
  const trainable = rank === null ? 0 : loraParameters(a, preset, rank);
  return { rank, trainable, fraction: trainable / (totalParameters(a) + trainable) };
}

/** Largest uniform rank whose trainable share of all parameters is at most `fraction`. */
export function rankForFraction(a: Architecture, preset: TargetPreset, fraction: number): RankSelection {
  const base = totalParameters(a);
  const perRank = loraParameters(a, preset, 1);
  // trainable/(base+trainable) <= f  <=>  r·perRank <= f·base/(1−f)
  const r = Math.min(maxRank(a, preset), Math.floor((fraction * base) / (1 - fraction) / perRank + 1e-9));
  return selection(a, preset, r >= 1 ? r : null);
}

/** Largest uniform rank whose LoRA training memory fits in `budgetBytes`. */
export function rankForMemory(
  a: Architecture,
  preset: TargetPreset,
  budgetBytes: number,
  precision: Precision,
): RankSelection {
  let lo = 0, hi = maxRank(a, preset);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (loraMemory(a, preset, mid, precision).total <= budgetBytes) lo = mid;
    else hi = mid - 1;
  }
  return selection(a, preset, lo >= 1 ? lo : null);
}

/**
 * Per-matrix ranks for matrices of different shapes: each matrix gets the largest rank whose adapter
 * is at most `fraction` of that matrix's own parameters (r_i = floor(f·d·k/(d+k)), at least 1).
 * The result is PEFT's `rank_pattern` (module name -> rank).
 */
export function perLayerRanks(
  a: Architecture,
  preset: TargetPreset,
  fraction: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of targetLinears(a, preset)) {
    const d = l.inFeatures, k = l.outFeatures;
    out[l.name] = Math.max(1, Math.min(Math.min(d, k), Math.floor((fraction * d * k) / (d + k) + 1e-9)));
  }
  return out;
}

/** Plain-language advice derived from the numbers for one architecture. */
export function recommendations(a: Architecture, precision: Precision = "bf16"): string[] {
  const full = fullFineTuneMemory(a, precision);
  const qv8 = loraMemory(a, "qv", 8, precision);
  const all8 = loraMemory(a, "all-linear", 8, precision);
  const pct = (x: number) => `${(100 * x).toFixed(3)}%`;
  const sel = rankForFraction(a, "all-linear", 0.01);
  return [
    `${a.name}: LoRA r=8 on ${a.family === "gpt2" ? "c_attn" : "query,value"} trains ${
      pct(qv8.trainable / (totalParameters(a) + qv8.trainable))
    } of the parameters and cuts ${precision} training memory (excl. activations) from ${
      fmtBytes(full.total)
    } to ${fmtBytes(qv8.total)} (${(full.total / qv8.total).toFixed(2)}x).`,
    `Adapting all linears at r=8 costs ${
      fmtBytes(all8.total - qv8.total)
    } more than q,v only; start with q,v and ` +
    `add MLP targets if quality lags.`,
    sel.rank === null
      ? `A 1% trainable budget cannot cover all linears even at r=1; adapt q,v only.`
      : `For a 1% trainable budget on all linears use r=${sel.rank} (${pct(sel.fraction)}).`,
    `Merge adapters for inference: the merged model has the base model's exact shape, so latency is unchanged.`,
  ];
}

/** Bytes in binary units with two decimals (`1.50 GiB`). */
export function fmtBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes, u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(2)} ${units[u]}`;
}
