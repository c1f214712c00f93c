/**
 * LoRA (Hu et al., 2021) for tfjs, following HuggingFace PEFT's split: configuration as data
 * (`lora/config.ts`), the layer as behavior (`lora/layer.ts`), model-level operations (`lora/model.ts`).
 */
export {
  fromPeftConfigJson,
  isTargetModule,
  type LoraConfig,
  type LoraConfigInput,
  LoraConfigSchema,
  loraScaling,
  parseLoraConfig,
  type PeftLoraConfigJson,
  rankAndAlphaFor,
  toPeftConfigJson,
} from "./lora/config.ts";
export { LoraError, type LoraErrorCode } from "./lora/errors.ts";
export { LoraLinear, type LoraLinearOptions } from "./lora/layer.ts";
export {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  type ApplyOptions,
  LoraModel,
  type LoraReport,
  PEFT_KEY_PREFIX,
} from "./lora/model.ts";
export { LoraAdapters, MultiLoraLinear } from "./lora/adapters.ts";
export type { TargetLayerOptions } from "./lora/targets.ts";
