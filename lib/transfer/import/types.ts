/**
 * What every import source is converted to before it reaches the database: one conversation with
 * its message tree (keys local to the file, parents before children) and what was left out.
 */

import { CodedError } from "../../../ml/errors.ts";

/** A message to import; `key` and `parentKey` are the file's ids, replaced by new ids on insert. */
export interface ImportMessage {
  key: string;
  /** Null for a root. Always the key of an earlier message of the same conversation. */
  parentKey: string | null;
  role: "user" | "assistant";
  content: string;
  status: "complete" | "stopped" | "error";
  usage: { promptTokens: number | null; completionTokens: number | null } | null;
  createdAt: Date | null;
  updatedAt: Date | null;
}

/** A folder an imported conversation goes into. */
export interface ImportFolder {
  name: string;
  systemPrompt: string;
  model: string | null;
  createdAt?: string;
  updatedAt?: string;
}

/** A conversation to import. */
export interface ImportConversation {
  /** Where it came from, e.g. `chatgpt:<id>`: the same source is never imported twice. */
  source: string;
  title: string;
  titleSource: "default" | "auto" | "custom";
  systemPrompt: string;
  model: string | null;
  /** The folder to put it in: the owner's folder of that name, created from this when there is none. */
  folder: ImportFolder | null;
  pinned: boolean;
  archived: boolean;
  createdAt: Date | null;
  updatedAt: Date | null;
  messages: ImportMessage[];
  /** The leaf the conversation shows; null = the newest message. */
  currentLeafKey: string | null;
}

/** Something that was not imported, and why. */
export interface Skip {
  reason: string;
  /** Which conversation (title or position in the file). */
  where: string;
}

/** A source's verdict on one entry of the file. */
export type Converted =
  | { kind: "conversation"; conversation: ImportConversation; skipped: Skip[] }
  | { kind: "skipped"; skipped: Skip[] };

/** A file that cannot be imported at all (foreign, corrupted, truncated): nothing is imported. */
export class ImportFileError extends CodedError<"invalid_file" | "unsupported_file" | "file_too_large"> {
  constructor(code: "invalid_file" | "unsupported_file" | "file_too_large", message: string) {
    super(code, message);
    this.name = "ImportFileError";
  }
}

/** Reads a time given in Unix seconds (or milliseconds / ISO text, as some exports do); null if absent. */
export function toDate(value: unknown): Date | null {
  if (typeof value === "number" && Number.isFinite(value) && value > 0) {
    // Seconds until year 5138; larger values are milliseconds, then nanoseconds.
    const ms = value < 1e11 ? value * 1000 : value < 1e14 ? value : value / 1e6;
    const d = new Date(ms);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  if (typeof value === "string" && value !== "") {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  return null;
}

/** PostgreSQL text cannot hold U+0000: it is dropped. */
export function cleanText(text: string): string {
  return text.includes("\u0000") ? text.replaceAll("\u0000", "") : text;
}

/** A title the store accepts: whitespace collapsed, at most 200 characters, never empty. */
export function cleanTitle(title: unknown, fallback: string): string {
  const t = typeof title === "string" ? cleanText(title).replace(/\s+/g, " ").trim() : "";
  const chars = [...(t || fallback)];
  return chars.length > 200 ? chars.slice(0, 199).join("") + "…" : chars.join("");
}

/** A plain object, or null. */
export function asRecord(value: unknown): Record<string, unknown> | null {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : null;
}
