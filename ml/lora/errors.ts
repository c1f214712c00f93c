/** Errors of the LoRA modules. */
import { CodedError } from "../errors.ts";

/** Why a LoRA operation failed. */
export type LoraErrorCode =
  | "LORA_CONFIG_INVALID"
  | "LORA_RANK_TOO_LARGE"
  | "LORA_NO_TARGETS"
  | "LORA_TARGET_NOT_LINEAR"
  | "LORA_ALREADY_APPLIED"
  | "LORA_ADAPTER_MISMATCH";

/** A LoRA operation failed; `code` says why. */
export class LoraError extends CodedError<LoraErrorCode> {}
