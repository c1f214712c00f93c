/**
 * What the chat's polite live region says when a reply ends: the whole reply once, as plain text
 * (a screen reader would otherwise read every streamed token, or nothing).
 */
import { toSpeakableText } from "../../lib/voice/sentences.ts";
import type { ReplyEnd } from "./api.ts";

/** The announcement for a reply that ended with `end` after streaming `text`. */
export function replyAnnouncement(end: ReplyEnd, text: string): string {
  if (end.kind === "done") {
    const plain = toSpeakableText(text).replace(/\s+/g, " ").trim();
    return plain === "" ? "Mini-Claude replied with an empty message." : `Mini-Claude replied: ${plain}`;
  }
  if (end.kind === "stopped") return "The reply was stopped.";
  return `The reply failed. ${end.message}`;
}
