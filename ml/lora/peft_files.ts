/**
 * PEFT's adapter folder, shared by the single-adapter {@link LoraModel} and the multi-adapter
 * `LoraAdapters`: `adapter_config.json` plus `adapter_model.safetensors` with tensors under
 * `base_model.model.<module>...` keys, read, written, and assigned to an adapter's variables with
 * every key and shape checked.
 */
import { tf } from "../backend.ts";
import { decodeSafetensors, encodeSafetensors, type SafeTensor, toFloat32 } from "../safetensors.ts";
import type { Variable } from "../tensor_types.ts";
import { fromPeftConfigJson, type LoraConfig, toPeftConfigJson } from "./config.ts";
import { LoraError } from "./errors.ts";

/** Prefix PEFT puts before module names in saved adapters. */
export const PEFT_KEY_PREFIX = "base_model.model.";
/** File name of PEFT's adapter configuration. */
export const ADAPTER_CONFIG_FILE = "adapter_config.json";
/** File name of PEFT's adapter weights. */
export const ADAPTER_WEIGHTS_FILE = "adapter_model.safetensors";

/** Reads an adapter folder: its configuration and its tensors by PEFT key. */
export async function readPeftAdapter(
  dir: string,
): Promise<{ config: LoraConfig; tensors: Map<string, SafeTensor> }> {
  const config = fromPeftConfigJson(JSON.parse(await Deno.readTextFile(`${dir}/${ADAPTER_CONFIG_FILE}`)));
  const tensors = decodeSafetensors(await Deno.readFile(`${dir}/${ADAPTER_WEIGHTS_FILE}`)).tensors;
  return { config, tensors };
}

/** Writes an adapter folder (created if missing): the configuration as PEFT's JSON, the tensors as `pt` safetensors. */
export async function writePeftAdapter(
  dir: string,
  config: LoraConfig,
  tensors: Map<string, SafeTensor>,
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/${ADAPTER_CONFIG_FILE}`,
    JSON.stringify(toPeftConfigJson(config), null, 2) + "\n",
  );
  await Deno.writeFile(`${dir}/${ADAPTER_WEIGHTS_FILE}`, encodeSafetensors(tensors, { format: "pt" }));
}

/**
 * Assigns saved tensors to the variables they belong to (`expected`: PEFT key → variable). Every
 * expected key must be present with the variable's shape, and every key in the file must be expected
 * (a `lora_B.bias` or a `modules_to_save` copy is refused with `LORA_ADAPTER_MISMATCH` rather than
 * dropped). Checks every key before assigning any, so a refused file changes nothing.
 */
export function assignAdapterTensors(
  expected: Map<string, Variable>,
  tensors: Map<string, SafeTensor>,
): void {
  const unused = [...tensors.keys()].filter((k) => !expected.has(k));
  if (unused.length > 0) {
    throw new LoraError(
      "LORA_ADAPTER_MISMATCH",
      `adapter file holds tensors this adapter cannot use: ${unused.slice(0, 5).join(", ")}${
        unused.length > 5 ? ` and ${unused.length - 5} more` : ""
      }`,
    );
  }
  for (const [key, v] of expected) {
    const t = tensors.get(key);
    if (!t) throw new LoraError("LORA_ADAPTER_MISMATCH", `adapter file lacks ${key}`);
    if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i])) {
      throw new LoraError(
        "LORA_ADAPTER_MISMATCH",
        `${key}: saved shape [${t.shape}] does not match [${v.shape}]`,
      );
    }
  }
  for (const [key, v] of expected) {
    tf.tidy(() => v.assign(tf.tensor(toFloat32(tensors.get(key)!), v.shape, "float32")));
  }
}
