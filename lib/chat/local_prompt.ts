/**
 * The prompt the local model sees for a chat request, in the template its adapter was trained with:
 * Alpaca (the last user message as the instruction; earlier turns and the system prompt are not used) or
 * ChatML (system prompt and every turn, ending with the assistant header). A continued reply's text
 * follows the prompt so generation picks up after it. ChatML replies end at `<|im_end|>`.
 */
import { formatPrompt } from "../../ml/data/templates.ts";
import { formatChatML, IM_END } from "../../ml/data/chat_template.ts";
import type { ChatMessage } from "../../ml/data/chat.ts";
import type { PromptTemplate } from "./local_adapters.ts";
import type { ChatTurn } from "./provider.ts";

/** A formatted prompt and the text that ends the reply, if any. */
export interface LocalPrompt {
  prompt: string;
  /** Generation stops when the reply would contain it (not included in the reply). */
  stop?: string;
}

/** Formats `history` (oldest first) for `template`. */
export function localPrompt(
  template: PromptTemplate,
  history: readonly ChatTurn[],
  systemPrompt?: string,
): LocalPrompt {
  const last = history.at(-1);
  const prefix = last?.role === "assistant" ? last.content : "";
  if (template === "alpaca") {
    const instruction = [...history].reverse().find((t) => t.role === "user")?.content ?? "";
    return { prompt: formatPrompt({ instruction, input: "" }) + prefix };
  }
  const turns = prefix ? history.slice(0, -1) : history;
  const messages: ChatMessage[] = [
    ...(systemPrompt?.trim() ? [{ role: "system" as const, content: systemPrompt }] : []),
    ...turns.map((t) => ({ role: t.role, content: t.content })),
  ];
  return { prompt: formatChatML(messages, true) + prefix, stop: IM_END };
}

/**
 * Holds back streamed text that might be the start of `stop`, so the stop sequence never reaches the
 * reader; {@link push} returns what may be shown and whether the stop sequence was reached.
 */
export class StopSequence {
  #held = "";
  #done = false;
  constructor(readonly stop: string | undefined) {}

  /** Adds decoded text; returns the text safe to emit and whether generation should end. */
  push(text: string): { text: string; stopped: boolean } {
    if (this.#done) return { text: "", stopped: true };
    if (!this.stop) return { text, stopped: false };
    const all = this.#held + text;
    const at = all.indexOf(this.stop);
    if (at >= 0) {
      this.#done = true;
      this.#held = "";
      return { text: all.slice(0, at), stopped: true };
    }
    let keep = 0;
    for (let n = Math.min(this.stop.length - 1, all.length); n > 0; n--) {
      if (this.stop.startsWith(all.slice(all.length - n))) {
        keep = n;
        break;
      }
    }
    this.#held = all.slice(all.length - keep);
    return { text: all.slice(0, all.length - keep), stopped: false };
  }

  /** The text still held back (the stream ended without the stop sequence). */
  flush(): string {
    const rest = this.#done ? "" : this.#held;
    this.#held = "";
    return rest;
  }
}
