/** The attachment limits of a running server (the file size comes from `MAX_ATTACHMENT_BYTES`). */
import type { AppState } from "../services.ts";
import { type AttachmentLimits, DEFAULT_ATTACHMENT_LIMITS } from "./upload.ts";

/** Limits for requests of `state`'s server. */
export function attachmentLimits(state: AppState): AttachmentLimits {
  return { ...DEFAULT_ATTACHMENT_LIMITS, maxBytes: state.services.config.maxAttachmentBytes };
}
