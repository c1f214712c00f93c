/**
 * The chat template conversations are trained with: ChatML, as used by Qwen and OpenAI's chat models
 * (`<|im_start|>{role}\n{content}<|im_end|>\n` per turn). The markers are plain text to this project's
 * byte-level tokenizer (it has one special token, EOS). Only assistant turns are learned: their content and
 * closing `<|im_end|>` carry loss; headers, system and user turns carry none.
 */
import type { ChatMessage } from "./chat.ts";

/** Opens a turn; followed by the role and a newline. */
export const IM_START = "<|im_start|>";
/** Closes a turn; followed by a newline. */
export const IM_END = "<|im_end|>";

/** A piece of a formatted conversation and whether a model is trained to produce it. */
export interface ChatSegment {
  /** The text. */
  text: string;
  /** True for the content and closing marker of assistant turns. */
  learn: boolean;
}

/**
 * A conversation as ChatML segments, in order. Trailing turns after the last assistant turn are left out
 * (there is nothing to learn from them).
 */
export function chatSegments(messages: readonly ChatMessage[]): ChatSegment[] {
  let last = messages.length - 1;
  while (last >= 0 && messages[last].role !== "assistant") last--;
  const out: ChatSegment[] = [];
  for (const m of messages.slice(0, last + 1)) {
    const assistant = m.role === "assistant";
    out.push({ text: `${IM_START}${m.role}\n`, learn: false });
    out.push({ text: m.content, learn: assistant });
    out.push({ text: IM_END, learn: assistant });
    out.push({ text: "\n", learn: false });
  }
  return out;
}

/**
 * The ChatML text of a conversation; with `addGenerationPrompt`, followed by the header of the assistant
 * turn a model should write next (`<|im_start|>assistant\n`).
 */
export function formatChatML(messages: readonly ChatMessage[], addGenerationPrompt = false): string {
  const turns = messages.map((m) => `${IM_START}${m.role}\n${m.content}${IM_END}\n`).join("");
  return addGenerationPrompt ? `${turns}${IM_START}assistant\n` : turns;
}
