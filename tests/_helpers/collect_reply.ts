/** Reads a provider stream to the end, for tests that do not stream. */
import type { ChatChunk, ChatUsage } from "../../lib/chat/provider.ts";

/** The whole reply of a stream: its text and the usage the model reported last, if any. */
export interface CollectedReply {
  text: string;
  usage?: ChatUsage;
}

/** Reads `stream` to the end. Errors propagate unchanged. */
export async function collectReply(stream: AsyncIterable<ChatChunk>): Promise<CollectedReply> {
  let text = "";
  let usage: ChatUsage | undefined;
  for await (const chunk of stream) {
    if (chunk.type === "text") text += chunk.text;
    else {
      usage = {
        promptTokens: chunk.promptTokens,
        completionTokens: chunk.completionTokens,
        totalTokens: chunk.totalTokens,
      };
    }
  }
  return { text, usage };
}
