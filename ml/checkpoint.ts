/**
 * Model checkpoints on disk, one folder each:
 * - `config.json`: `{ format, model: GptConfig, dtype, parameters }`;
 * - `model.safetensors`: every parameter by its dotted name (`blocks.0.attn.q.weight`), tfjs layout
 *   (linear weights [in, out], the transpose of PyTorch's), stored as F32, F16 or BF16;
 * - `tokenizer.json`;
 * - optionally `adapter/` (a PEFT LoRA adapter trained on this base, see `ml/lora.ts`).
 *
 * Half-precision storage is the project's "mixed precision": tfjs has no float16 tensors, so weights
 * are stored in 16 bits and up-cast to float32 on load (half the file, same compute).
 */
import { z } from "zod";
import { tf } from "./backend.ts";
import { ADAPTER_CONFIG_FILE, LoraModel } from "./lora.ts";
import { Gpt, gptConfigSchema } from "./model.ts";
import {
  decodeSafetensors,
  encodeSafetensors,
  f32Tensor,
  type SafeTensor,
  toFloat32,
} from "./safetensors.ts";
import { Tokenizer } from "./tokenizer.ts";
import { CodedError } from "./errors.ts";
import type { Tensor, Variable } from "./tensor_types.ts";

/** How weights are stored on disk. */
export type StorageDtype = "F32" | "F16" | "BF16";

const FORMAT = "mini-claude-gpt/1";
/** File names inside a checkpoint folder. */
export const CHECKPOINT_FILES = {
  config: "config.json",
  weights: "model.safetensors",
  tokenizer: "tokenizer.json",
  adapter: "adapter",
} as const;

const checkpointConfigSchema = z.object({
  format: z.literal(FORMAT),
  model: gptConfigSchema,
  dtype: z.enum(["F32", "F16", "BF16"]),
  parameters: z.number().int().optional(),
});

/** Why a checkpoint could not be read. */
export type CheckpointErrorCode = "CHECKPOINT_NOT_FOUND" | "CHECKPOINT_INVALID";

/** A checkpoint folder is missing or malformed. */
export class CheckpointError extends CodedError<CheckpointErrorCode> {}

/** Float32 -> IEEE half bits, round to nearest even (overflow to ±Inf, NaN kept). */
export function floatToHalf(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1), mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
  return sign | half;
}

/** Encodes float32 values in the given storage dtype. */
export function encodeFloats(shape: number[], values: Float32Array, dtype: StorageDtype): SafeTensor {
  if (dtype === "F32") return f32Tensor(shape, values);
  const data = new Uint8Array(values.length * 2);
  const view = new DataView(data.buffer);
  const u32 = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < values.length; i++) {
    let bits: number;
    if (dtype === "F16") bits = floatToHalf(values[i]);
    else {
      const u = u32[i];
      bits = (u & 0x7fffffff) > 0x7f800000
        ? (u >>> 16) | 0x40 // NaN stays NaN
        : (u + 0x7fff + ((u >>> 16) & 1)) >>> 16; // round to nearest even
    }
    view.setUint16(i * 2, bits, true);
  }
  return { dtype, shape, data };
}

/** Writes named variables as safetensors bytes in `dtype`. */
export async function encodeVariables(
  named: ReadonlyArray<readonly [string, Tensor]>,
  dtype: StorageDtype,
  metadata: Record<string, string> = {},
): Promise<Uint8Array> {
  const tensors = new Map<string, SafeTensor>();
  for (const [name, v] of named) {
    tensors.set(name, encodeFloats(v.shape, (await v.data()) as Float32Array, dtype));
  }
  return encodeSafetensors(tensors, { format: "tfjs", ...metadata });
}

/** Assigns saved tensors to variables by name; every variable must be present with its shape. */
export function assignVariables(
  named: ReadonlyArray<readonly [string, Variable]>,
  tensors: Map<string, SafeTensor>,
  where: string,
): void {
  for (const [name, v] of named) {
    const t = tensors.get(name);
    if (!t) throw new CheckpointError("CHECKPOINT_INVALID", `${where} lacks "${name}"`);
    if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i])) {
      throw new CheckpointError(
        "CHECKPOINT_INVALID",
        `${where}: "${name}" is [${t.shape}], expected [${v.shape}]`,
      );
    }
    tf.tidy(() => v.assign(tf.tensor(toFloat32(t), v.shape, "float32")));
  }
}

/** Saves a model and its tokenizer into `dir` (created if missing). */
export async function saveCheckpoint(
  dir: string,
  model: Gpt,
  tokenizer: Tokenizer,
  dtype: StorageDtype = "F32",
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const config = { format: FORMAT, model: model.config, dtype, parameters: model.parameterCount().total };
  await Deno.writeTextFile(`${dir}/${CHECKPOINT_FILES.config}`, JSON.stringify(config, null, 2) + "\n");
  await Deno.writeTextFile(`${dir}/${CHECKPOINT_FILES.tokenizer}`, JSON.stringify(tokenizer.toJSON()) + "\n");
  await Deno.writeFile(
    `${dir}/${CHECKPOINT_FILES.weights}`,
    await encodeVariables(model.namedParameters(), dtype),
  );
}

/** A loaded checkpoint. */
export interface LoadedCheckpoint {
  /** The model, weights loaded (adapters merged when the checkpoint had one). */
  model: Gpt;
  /** The checkpoint's tokenizer. */
  tokenizer: Tokenizer;
  /** Storage dtype of the weights file. */
  dtype: StorageDtype;
  /** Whether an adapter was found and applied (merged into the weights with `merge`). */
  adapter: boolean;
}

/** Options of {@link loadCheckpoint}. */
export interface LoadOptions {
  /** Apply `dir/adapter` when present. Default true. */
  adapter?: boolean;
  /** Fold the adapter into the base weights (one matMul per linear at inference). Default true. */
  merge?: boolean;
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new CheckpointError("CHECKPOINT_NOT_FOUND", `cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CheckpointError("CHECKPOINT_INVALID", `${path} is not JSON: ${(e as Error).message}`);
  }
}

/** Whether `dir` holds a checkpoint (its `config.json` exists). */
export async function hasCheckpoint(dir: string): Promise<boolean> {
  try {
    return (await Deno.stat(`${dir}/${CHECKPOINT_FILES.config}`)).isFile;
  } catch {
    return false;
  }
}

/** Loads a checkpoint folder (weights up-cast to float32), applying its adapter when present. */
export async function loadCheckpoint(dir: string, options: LoadOptions = {}): Promise<LoadedCheckpoint> {
  const parsed = checkpointConfigSchema.safeParse(await readJson(`${dir}/${CHECKPOINT_FILES.config}`));
  if (!parsed.success) {
    throw new CheckpointError(
      "CHECKPOINT_INVALID",
      `${dir}/${CHECKPOINT_FILES.config}: ${
        parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")
      }`,
    );
  }
  const tokenizer = Tokenizer.fromJSON(await readJson(`${dir}/${CHECKPOINT_FILES.tokenizer}`));
  const model = new Gpt(parsed.data.model);
  if (tokenizer.vocabSize !== model.config.vocabSize) {
    model.dispose();
    throw new CheckpointError(
      "CHECKPOINT_INVALID",
      `tokenizer has ${tokenizer.vocabSize} ids, model ${model.config.vocabSize}`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(`${dir}/${CHECKPOINT_FILES.weights}`);
  } catch (e) {
    model.dispose();
    throw new CheckpointError("CHECKPOINT_NOT_FOUND", `cannot read weights: ${(e as Error).message}`);
  }
  assignVariables(
    model.namedParameters(),
    decodeSafetensors(bytes).tensors,
    `${dir}/${CHECKPOINT_FILES.weights}`,
  );
  let adapter = false;
  const adapterDir = `${dir}/${CHECKPOINT_FILES.adapter}`;
  if ((options.adapter ?? true) && await exists(`${adapterDir}/${ADAPTER_CONFIG_FILE}`)) {
    const lora = await LoraModel.load(model, adapterDir);
    if (options.merge ?? true) lora.mergeAndUnload();
    adapter = true;
  }
  return { model, tokenizer, dtype: parsed.data.dtype, adapter };
}

/** Whether `path` exists (file or folder). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
