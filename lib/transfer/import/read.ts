/**
 * Streamed reading of an export file with `@streamparser/json`: the file is never held whole
 * (ChatGPT exports are hundreds of MB on one line). The first character decides the shape: `[` is
 * an array of conversations (ChatGPT or open-webui, recognized per entry), `{` is a Mini-Claude
 * export (`format`, `version`, `folders`, `conversations`). Only the entries being emitted are in
 * memory: the parser drops each one from its parent once emitted (`keepStack: false`).
 */
import { JSONParser } from "@streamparser/json";
import { ImportFileError } from "./types.ts";

/** One piece of the file, in file order. */
export type FileEntry =
  | { kind: "array-item"; index: number; value: unknown }
  | { kind: "field"; key: "format" | "version"; value: unknown }
  | { kind: "folder"; index: number; value: unknown }
  | { kind: "conversation"; index: number; value: unknown };

/** The shape the first character announced. */
export type FileShape = "array" | "object";

/** Reads the shape from the file's first bytes (after whitespace and a UTF-8 BOM). */
export function sniffShape(head: Uint8Array): FileShape {
  let i = 0;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) i = 3;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) {
    i++;
  }
  if (i >= head.length) throw new ImportFileError("invalid_file", "The file is empty.");
  if (head[i] === 0x5b) return "array";
  if (head[i] === 0x7b) return "object";
  throw new ImportFileError(
    "unsupported_file",
    "This is not a JSON export: expected a ChatGPT conversations.json, an open-webui chat export or a Mini-Claude export.",
  );
}

/**
 * Yields the file's entries as they complete. `onBytes` reports how many bytes were parsed so far.
 * Invalid or truncated JSON throws {@link ImportFileError} `invalid_file`.
 */
export async function* readEntries(
  chunks: AsyncIterable<Uint8Array>,
  shape: FileShape,
  onBytes?: (bytes: number) => void,
): AsyncGenerator<FileEntry> {
  const queue: FileEntry[] = [];
  const parser = new JSONParser({
    paths: shape === "array" ? ["$.*"] : ["$.format", "$.version", "$.folders.*", "$.conversations.*"],
    keepStack: false,
  });
  parser.onValue = ({ value, key, stack }) => {
    if (shape === "array") queue.push({ kind: "array-item", index: key as number, value });
    else if (stack.length === 1) queue.push({ kind: "field", key: key as "format" | "version", value });
    else if (stack[1]?.key === "folders") queue.push({ kind: "folder", index: key as number, value });
    else queue.push({ kind: "conversation", index: key as number, value });
  };
  let bytes = 0;
  const fail = (error: unknown): never => {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ImportFileError(
      "invalid_file",
      /ended|end of/i.test(detail)
        ? `The file ends in the middle of the JSON (truncated?) after ${bytes} bytes; nothing was imported.`
        : `The file is not valid JSON near byte ${bytes}: ${detail}; nothing was imported.`,
    );
  };
  for await (const chunk of chunks) {
    if (parser.isEnded) {
      if (chunk.some((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09)) {
        fail(new Error("unexpected data after the end of the JSON document"));
      }
      continue;
    }
    try {
      parser.write(chunk);
    } catch (error) {
      fail(error);
    }
    bytes += chunk.byteLength;
    onBytes?.(bytes);
    while (queue.length > 0) yield queue.shift()!;
  }
  if (!parser.isEnded) {
    try {
      parser.end();
    } catch (error) {
      fail(error);
    }
  }
  while (queue.length > 0) yield queue.shift()!;
}
