/**
 * Export of a {@link Gpt} and its tokenizer in Hugging Face's GPT-2 layout, so the model moves to
 * PyTorch (`GPT2LMHeadModel.from_pretrained(dir)`) and its distributed trainers:
 *
 * - `config.json`: a `GPT2Config` (`model_type: "gpt2"`, `n_embd`, `n_layer`, `n_head`, `n_positions`,
 *   `n_inner`, `activation_function: "gelu_new"`, `layer_norm_epsilon: 1e-5`, tied embeddings).
 * - `model.safetensors`: GPT-2's tensor names, `transformer.wte.weight`, `transformer.wpe.weight`,
 *   `transformer.h.N.{ln_1,attn.c_attn,attn.c_proj,ln_2,mlp.c_fc,mlp.c_proj}.{weight,bias}`,
 *   `transformer.ln_f.{weight,bias}`; the LM head is tied to `wte` and not stored. GPT-2's `Conv1D` keeps
 *   weights [in, out], which is this project's layout, so no transpose; `c_attn` packs q, k, v along the
 *   output axis ([d, 3d]). A model built without biases gets zero biases (GPT-2 always has them).
 * - Tokenizer files: `vocab.json` and `merges.txt` of a byte-level BPE (tokens spelled with GPT-2's
 *   bytes-to-unicode map), `tokenizer_config.json`, `special_tokens_map.json` with `<|endoftext|>`. The
 *   project's tokenizer splits text with GPT-2's own pattern and applies merges by rank, so
 *   `GPT2Tokenizer` produces the same ids.
 */
import { CodedError } from "./errors.ts";
import {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  type LoraLinear,
  type LoraModel,
  toPeftConfigJson,
} from "./lora.ts";
import type { Gpt } from "./model.ts";
import { encodeSafetensors, f32Tensor, type SafeTensor } from "./safetensors.ts";
import { EOS_TEXT, type Tokenizer } from "./tokenizer.ts";

/** Why an export failed. */
export class ExportError extends CodedError<"EXPORT_TOKENIZER" | "EXPORT_ADAPTER"> {}

/** The files an export writes. */
export const HF_FILES = {
  config: "config.json",
  weights: "model.safetensors",
  vocab: "vocab.json",
  merges: "merges.txt",
  tokenizerConfig: "tokenizer_config.json",
  specialTokens: "special_tokens_map.json",
} as const;

/** GPT-2's reversible map from bytes to printable unicode characters (`bytes_to_unicode` in GPT-2's encoder). */
export function bytesToUnicode(): string[] {
  const keep: number[] = [];
  for (let b = 33; b <= 126; b++) keep.push(b);
  for (let b = 161; b <= 172; b++) keep.push(b);
  for (let b = 174; b <= 255; b++) keep.push(b);
  const map: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    map[b] = keep.includes(b) ? String.fromCodePoint(b) : String.fromCodePoint(256 + extra++);
  }
  return map;
}

/** The GPT-2 `config.json` object for a model. */
export function gpt2Config(model: Gpt, eosId: number): Record<string, unknown> {
  const c = model.config;
  return {
    architectures: ["GPT2LMHeadModel"],
    model_type: "gpt2",
    vocab_size: c.vocabSize,
    n_positions: c.blockSize,
    n_ctx: c.blockSize,
    n_embd: c.dModel,
    n_layer: c.layers,
    n_head: c.heads,
    n_inner: c.mlpRatio * c.dModel,
    activation_function: "gelu_new",
    layer_norm_epsilon: 1e-5,
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    initializer_range: 0.02,
    scale_attn_weights: true,
    scale_attn_by_inverse_layer_idx: false,
    reorder_and_upcast_attn: false,
    tie_word_embeddings: true,
    bos_token_id: eosId,
    eos_token_id: eosId,
    torch_dtype: "float32",
  };
}

/** The model's weights under GPT-2's names (float32, [in, out] for Conv1D weights). */
export async function gpt2Tensors(model: Gpt): Promise<Map<string, SafeTensor>> {
  const params = new Map(model.namedParameters());
  const d = model.config.dModel;
  const read = async (name: string, size: number): Promise<Float32Array> => {
    const v = params.get(name);
    if (!v) return new Float32Array(size); // a bias the model was built without: zeros
    return Float32Array.from((await v.data()) as Float32Array);
  };
  const out = new Map<string, SafeTensor>();
  const put = (name: string, shape: number[], values: Float32Array) =>
    out.set(name, f32Tensor(shape, values));
  const { vocabSize, blockSize, mlpRatio } = model.config;
  put("transformer.wte.weight", [vocabSize, d], await read("wte", vocabSize * d));
  put("transformer.wpe.weight", [blockSize, d], await read("wpe", blockSize * d));
  for (let i = 0; i < model.config.layers; i++) {
    const src = `blocks.${i}`, dst = `transformer.h.${i}`;
    for (const ln of ["ln_1", "ln_2"]) {
      put(`${dst}.${ln}.weight`, [d], await read(`${src}.${ln}.weight`, d));
      put(`${dst}.${ln}.bias`, [d], await read(`${src}.${ln}.bias`, d));
    }
    // c_attn: [d, 3d] = q | k | v along the output axis, row by row.
    const [wq, wk, wv] = await Promise.all(
      ["q", "k", "v"].map((n) => read(`${src}.attn.${n}.weight`, d * d)),
    );
    const packed = new Float32Array(d * 3 * d);
    for (let r = 0; r < d; r++) {
      packed.set(wq.subarray(r * d, (r + 1) * d), r * 3 * d);
      packed.set(wk.subarray(r * d, (r + 1) * d), r * 3 * d + d);
      packed.set(wv.subarray(r * d, (r + 1) * d), r * 3 * d + 2 * d);
    }
    put(`${dst}.attn.c_attn.weight`, [d, 3 * d], packed);
    const biases = await Promise.all(["q", "k", "v"].map((n) => read(`${src}.attn.${n}.bias`, d)));
    const bias = new Float32Array(3 * d);
    biases.forEach((b, j) => bias.set(b, j * d));
    put(`${dst}.attn.c_attn.bias`, [3 * d], bias);
    put(`${dst}.attn.c_proj.weight`, [d, d], await read(`${src}.attn.o.weight`, d * d));
    put(`${dst}.attn.c_proj.bias`, [d], await read(`${src}.attn.o.bias`, d));
    const h = mlpRatio * d;
    put(`${dst}.mlp.c_fc.weight`, [d, h], await read(`${src}.mlp.fc.weight`, d * h));
    put(`${dst}.mlp.c_fc.bias`, [h], await read(`${src}.mlp.fc.bias`, h));
    put(`${dst}.mlp.c_proj.weight`, [h, d], await read(`${src}.mlp.proj.weight`, h * d));
    put(`${dst}.mlp.c_proj.bias`, [d], await read(`${src}.mlp.proj.bias`, d));
  }
  put("transformer.ln_f.weight", [d], await read("ln_f.weight", d));
  put("transformer.ln_f.bias", [d], await read("ln_f.bias", d));
  return out;
}

/**
 * `vocab.json` (token string → id) and `merges.txt` lines of the tokenizer, spelled with GPT-2's
 * bytes-to-unicode map. Throws `EXPORT_TOKENIZER` when two ids spell the same bytes (a vocabulary file
 * cannot hold both).
 */
export function gpt2TokenizerFiles(
  tokenizer: Tokenizer,
): { vocab: Record<string, number>; merges: string[] } {
  const map = bytesToUnicode();
  const spell = (id: number) => Array.from(tokenizer.tokenBytes(id), (b) => map[b]).join("");
  const vocab: Record<string, number> = {};
  for (let id = 0; id < tokenizer.eosId; id++) {
    const s = spell(id);
    if (s in vocab) {
      throw new ExportError("EXPORT_TOKENIZER", `tokens ${vocab[s]} and ${id} spell the same bytes "${s}"`);
    }
    vocab[s] = id;
  }
  vocab[EOS_TEXT] = tokenizer.eosId;
  const merges = tokenizer.merges.map(([a, b]) => `${spell(a)} ${spell(b)}`);
  return { vocab, merges };
}

/** Writes the model and tokenizer into `dir` (created if missing) in Hugging Face's GPT-2 layout. */
export async function exportGpt2(model: Gpt, tokenizer: Tokenizer, dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const { vocab, merges } = gpt2TokenizerFiles(tokenizer);
  const json = (v: unknown) => JSON.stringify(v, null, 2) + "\n";
  await Deno.writeTextFile(`${dir}/${HF_FILES.config}`, json(gpt2Config(model, tokenizer.eosId)));
  await Deno.writeFile(
    `${dir}/${HF_FILES.weights}`,
    encodeSafetensors(await gpt2Tensors(model), { format: "pt" }),
  );
  await Deno.writeTextFile(`${dir}/${HF_FILES.vocab}`, JSON.stringify(vocab));
  await Deno.writeTextFile(`${dir}/${HF_FILES.merges}`, `#version: 0.2\n${merges.join("\n")}\n`);
  await Deno.writeTextFile(
    `${dir}/${HF_FILES.tokenizerConfig}`,
    json({
      tokenizer_class: "GPT2Tokenizer",
      model_max_length: model.config.blockSize,
      add_prefix_space: false,
      bos_token: EOS_TEXT,
      eos_token: EOS_TEXT,
      unk_token: EOS_TEXT,
    }),
  );
  await Deno.writeTextFile(
    `${dir}/${HF_FILES.specialTokens}`,
    json({ bos_token: EOS_TEXT, eos_token: EOS_TEXT, unk_token: EOS_TEXT }),
  );
}

/** GPT-2 module and output-column offset for each of this project's linears in block `i`. */
const GPT2_MODULES: Record<string, { module: string; part: number; parts: number }> = {
  "attn.q": { module: "attn.c_attn", part: 0, parts: 3 },
  "attn.k": { module: "attn.c_attn", part: 1, parts: 3 },
  "attn.v": { module: "attn.c_attn", part: 2, parts: 3 },
  "attn.o": { module: "attn.c_proj", part: 0, parts: 1 },
  "mlp.fc": { module: "mlp.c_fc", part: 0, parts: 1 },
  "mlp.proj": { module: "mlp.c_proj", part: 0, parts: 1 },
};

/**
 * A LoRA adapter of a {@link Gpt} as a PEFT adapter for Hugging Face's GPT-2 (`PeftModel.from_pretrained`
 * over the exported base). GPT-2 packs q, k, v into one `c_attn`, so the adapters of q/k/v in a block
 * become one adapter on `c_attn` of rank r_q + r_k + r_v: A stacks their A's, B places each B in its own
 * rows (q, k, v thirds of the output) and columns, zeros elsewhere — exactly the sum of the separate
 * updates. Each module's scaling is folded into B and its `lora_alpha` set to its rank (scaling 1), with
 * per-module ranks in `rank_pattern`; `fan_in_fan_out: true` because GPT-2's Conv1D stores [in, out].
 */
export async function gpt2PeftAdapter(
  lora: LoraModel<Gpt>,
): Promise<{ config: Record<string, unknown>; tensors: Map<string, SafeTensor> }> {
  if (lora.config.bias !== "none") {
    throw new ExportError(
      "EXPORT_ADAPTER",
      `bias="${lora.config.bias}" adapters cannot be exported for GPT-2`,
    );
  }
  const groups = new Map<string, Array<{ layer: LoraLinear; part: number; parts: number }>>();
  for (const [name, layer] of lora.layers()) {
    const m = /^blocks\.(\d+)\.(.+)$/.exec(name);
    const target = m ? GPT2_MODULES[m[2]] : undefined;
    if (!m || !target) throw new ExportError("EXPORT_ADAPTER", `no GPT-2 module for "${name}"`);
    const module = `transformer.h.${m[1]}.${target.module}`;
    if (!groups.has(module)) groups.set(module, []);
    groups.get(module)!.push({ layer, part: target.part, parts: target.parts });
  }
  const tensors = new Map<string, SafeTensor>();
  const rankPattern: Record<string, number> = {};
  const alphaPattern: Record<string, number> = {};
  for (const [module, parts] of groups) {
    const inF = parts[0].layer.inFeatures;
    const outF = parts[0].parts * parts[0].layer.outFeatures;
    const rank = parts.reduce((n, p) => n + p.layer.rank, 0);
    const a = new Float32Array(rank * inF);
    const b = new Float32Array(outF * rank);
    let col = 0;
    for (const { layer, part } of parts.sort((x, y) => x.part - y.part)) {
      const la = (await layer.loraA.data()) as Float32Array; // [r, in]
      const lb = (await layer.loraB.data()) as Float32Array; // [out, r]
      a.set(la, col * inF);
      const rowOffset = part * layer.outFeatures;
      for (let row = 0; row < layer.outFeatures; row++) {
        for (let j = 0; j < layer.rank; j++) {
          b[(rowOffset + row) * rank + col + j] = layer.scaling * lb[row * layer.rank + j];
        }
      }
      col += layer.rank;
    }
    tensors.set(`base_model.model.${module}.lora_A.weight`, f32Tensor([rank, inF], a));
    tensors.set(`base_model.model.${module}.lora_B.weight`, f32Tensor([outF, rank], b));
    rankPattern[module] = rank;
    alphaPattern[module] = rank;
  }
  const modules = [...groups.keys()];
  const config = {
    ...toPeftConfigJson({
      ...lora.config,
      rank: rankPattern[modules[0]],
      alpha: rankPattern[modules[0]],
      useRslora: false,
      targetModules: modules,
      rankPattern,
      alphaPattern,
    }),
    fan_in_fan_out: true,
  };
  return { config, tensors };
}

/** Writes {@link gpt2PeftAdapter}'s `adapter_config.json` and `adapter_model.safetensors` into `dir`. */
export async function exportGpt2Adapter(lora: LoraModel<Gpt>, dir: string): Promise<void> {
  const { config, tensors } = await gpt2PeftAdapter(lora);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(`${dir}/${ADAPTER_CONFIG_FILE}`, JSON.stringify(config, null, 2) + "\n");
  await Deno.writeFile(`${dir}/${ADAPTER_WEIGHTS_FILE}`, encodeSafetensors(tensors, { format: "pt" }));
}
