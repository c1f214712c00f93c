/**
 * `@mini-claude/ml`: transformer attention, LoRA with HuggingFace PEFT's semantics and file layout, a small
 * GPT with a byte-level BPE tokenizer, instruction-data validation and a training loop, in TypeScript on
 * tfjs (wasm backend by default, optional OpenBLAS kernels through Deno FFI).
 *
 * The tfjs namespace the package computes with is exported as `tf` from `@mini-claude/ml/backend` (the
 * main entry exports only its tensor types, to keep the documented API to this package's own).
 *
 * ```ts
 * import { initBackend, LoraModel, MultiHeadAttention, type Tensor3D } from "@mini-claude/ml";
 * import { tf } from "@mini-claude/ml/backend";
 *
 * await initBackend("cpu");
 * const attn = new MultiHeadAttention({ dModel: 16, heads: 2, seed: 1 });
 * const lora = LoraModel.apply(attn, { rank: 4, alpha: 8, targetModules: ["q", "v"] });
 * const x = tf.randomNormal([1, 3, 16], 0, 1, "float32", 7) as Tensor3D;
 * const { output } = attn.forward(x, { causal: true });
 * console.log(output.shape, lora.report().trainable); // [1, 3, 16] 256
 * ```
 *
 * @module
 */
export {
  BackendError,
  type BackendErrorCode,
  type BackendName,
  BACKENDS,
  initBackend,
  liveTensors,
  nativeKernelStatus,
  requestedBackend,
} from "./backend.ts";
export type { NativeStatus } from "./native/kernels.ts";
export { CodedError } from "./errors.ts";
export { kaimingUniformBound, normalArray, Rng, uniformArray } from "./random.ts";
export { type ForwardOptions, type LinearLike, Module, ModuleError, type ModuleErrorCode } from "./module.ts";
export { denseForward, Linear, type LinearInit, type LinearOptions, matMul2d } from "./linear.ts";
export {
  type AttentionOptions,
  type AttentionResult,
  causalMask,
  MASKED_SCORE,
  MultiHeadAttention,
  type MultiHeadAttentionOptions,
  type MultiHeadForwardOptions,
  scaledDotProductAttention,
} from "./attention.ts";
export {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  type ApplyOptions,
  fromPeftConfigJson,
  isTargetModule,
  LoraAdapters,
  type LoraConfig,
  type LoraConfigInput,
  LoraError,
  type LoraErrorCode,
  LoraLinear,
  type LoraLinearOptions,
  LoraModel,
  type LoraReport,
  loraScaling,
  MultiLoraLinear,
  parseLoraConfig,
  PEFT_KEY_PREFIX,
  type PeftLoraConfigJson,
  rankAndAlphaFor,
  type TargetLayerOptions,
  toPeftConfigJson,
} from "./lora.ts";
export { layerSeed } from "./lora/layer.ts";
export { Block, Gpt, type GptConfig, type GptConfigInput, type KvCache, LayerNorm, Mlp } from "./model.ts";
export {
  EOS_TEXT,
  Tokenizer,
  TokenizerError,
  type TokenizerErrorCode,
  type TokenizerJson,
  type TrainTokenizerOptions,
} from "./tokenizer.ts";
export { type GenerateOptions, generateTokens, type SampleOptions, sampleToken } from "./generate.ts";
export {
  CheckpointError,
  type CheckpointErrorCode,
  hasCheckpoint,
  loadCheckpoint,
  type LoadedCheckpoint,
  type LoadOptions,
  saveCheckpoint,
  type StorageDtype,
} from "./checkpoint.ts";
export {
  decodeSafetensors,
  encodeSafetensors,
  f32Tensor,
  type SafeDtype,
  type SafeTensor,
  type SafetensorsFile,
  toFloat32,
} from "./safetensors.ts";
export {
  type Architecture,
  ARCHITECTURES,
  fullFineTuneMemory,
  type LinearRole,
  type LinearSpec,
  loraMatrixParameters,
  loraMemory,
  loraParameters,
  loraReduction,
  type MemoryEstimate,
  type Precision,
  PRECISION_BYTES,
  type RankChoice,
  rankForFraction,
  rankForMemory,
  type RankSelection,
  type TargetPreset,
  totalParameters,
} from "./efficiency.ts";
export {
  type AlpacaRecord,
  type DataFormat,
  type FileFacts,
  formatPrompt,
  loadAlpacaRecords,
  type LocatedRecord,
  type OpenOptions,
  type PromptFields,
  type PromptResponse,
  readAlpacaRecords,
  type ReadOptions,
  type RecordIssue,
  splitPromptResponse,
} from "./data/alpaca.ts";
export {
  type AnyRecordCheck,
  type ChatMessage,
  type ChatRole,
  checkAnyRecord,
  type DataRecord,
  qualityView,
  type RecordFormat,
  recordFormatOf,
  serializeRecord,
} from "./data/chat.ts";
export { type ChatSegment, chatSegments, formatChatML, IM_END, IM_START } from "./data/chat_template.ts";
export type {
  FieldLengths,
  Metric,
  MetricExample,
  MetricName,
  QualityOptions,
  QualityReport,
} from "./data/quality.ts";
export type { Distribution } from "./data/stats.ts";
export {
  type CleanedSummary,
  validateFile,
  type ValidateOptions,
  type ValidationReport,
} from "./data/validate.ts";
export { formatReportText } from "./data/report.ts";
export type {
  Rank,
  Scalar,
  Tensor,
  Tensor1D,
  Tensor2D,
  Tensor3D,
  Tensor4D,
  Variable,
  Variable1D,
  Variable2D,
} from "./tensor_types.ts";
