/**
 * Streaming loaders for instruction data: JSON Lines and JSON arrays are read chunk by chunk
 * (`Deno.open` + a streaming `TextDecoder`), so memory stays flat however large the file is. Each yielded
 * item carries its record index and the 1-based line where the record starts. A UTF-8 byte order
 * mark, CRLF line ends and a truncated last record are handled and reported, never fatal.
 */
import { DataError } from "./errors.ts";

/** The two on-disk layouts of Alpaca data. */
export type DataFormat = "json" | "jsonl";

/** One element read from the file: a parsed value, or why it could not be parsed. */
export type LoadedItem =
  | { kind: "value"; index: number; line: number; value: unknown }
  | { kind: "parse-error"; index: number; line: number; message: string }
  | { kind: "structure-error"; line: number; message: string };

/** Facts about the file noticed while reading it. */
export interface FileFacts {
  /** JSON array or JSON Lines. */
  format: DataFormat;
  /** File size. */
  sizeBytes: number;
  /** The file started with a UTF-8 byte order mark (skipped). */
  bom: boolean;
  /** Lines that ended in CRLF (the CR is dropped). */
  crlfLines: number;
  /** Blank lines skipped in JSON Lines. */
  blankLines: number;
  /** The file did not end with a complete record and newline / closing bracket. */
  truncated: boolean;
}

/** Options for {@link openRecords}. */
export interface OpenOptions {
  /** Force a format instead of sniffing (`.jsonl`/`.ndjson` → jsonl, first `[` → json, first `{` → jsonl). */
  format?: DataFormat;
  /** Called as bytes are read, at most once per chunk. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/** An opened data file: iterate it once for its items; `facts` is complete after iteration ends. */
export interface RecordStream extends AsyncIterable<LoadedItem> {
  readonly format: DataFormat;
  readonly facts: FileFacts;
}

/**
 * Opens `path` and sniffs its format. Throws `DataError` `FILE_NOT_FOUND` when it cannot be read and
 * `NOT_JSON` when it is empty or does not start like JSON (`[` or `{`). A JSON Lines file in which no
 * line parses also ends its iteration with `NOT_JSON`.
 */
export async function openRecords(path: string, options: OpenOptions = {}): Promise<RecordStream> {
  let file: Deno.FsFile;
  let sizeBytes: number;
  try {
    file = await Deno.open(path, { read: true });
    const stat = await file.stat();
    if (!stat.isFile) {
      file.close();
      throw new DataError("FILE_NOT_FOUND", `${path} is not a regular file`);
    }
    sizeBytes = stat.size;
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw new DataError("FILE_NOT_FOUND", `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }

  let bytesRead = 0;
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  const reader = file.readable.pipeThrough(
    new TransformStream<Uint8Array, string>({
      transform(chunk, controller) {
        bytesRead += chunk.byteLength;
        options.onProgress?.(bytesRead, sizeBytes);
        const text = decoder.decode(chunk, { stream: true });
        if (text !== "") controller.enqueue(text);
      },
      flush(controller) {
        const text = decoder.decode();
        if (text !== "") controller.enqueue(text);
      },
    }),
  ).getReader();
  const facts: FileFacts = {
    format: "jsonl",
    sizeBytes,
    bom: false,
    crlfLines: 0,
    blankLines: 0,
    truncated: false,
  };

  // Read until the first non-whitespace character decides the format; keep what was read.
  let head = "";
  let done = false;
  let first = "";
  while (first === "" && !done) {
    const next = await reader.read();
    if (next.done) done = true;
    else {
      head += next.value;
      if (!facts.bom && head.charCodeAt(0) === 0xfeff) {
        facts.bom = true;
        head = head.slice(1);
      }
      const m = /\S/.exec(head);
      if (m) first = m[0];
    }
  }
  if (first === "") {
    await reader.cancel().catch(() => {});
    throw new DataError("NOT_JSON", `${path} is empty: expected a JSON array or JSON Lines`);
  }
  const lower = path.toLowerCase();
  const byExtension: DataFormat | undefined = lower.endsWith(".jsonl") || lower.endsWith(".ndjson")
    ? "jsonl"
    : undefined;
  const format: DataFormat | undefined = options.format ?? byExtension ??
    (first === "[" ? "json" : first === "{" ? "jsonl" : undefined);
  if (format === undefined || (first !== "[" && first !== "{")) {
    await reader.cancel().catch(() => {});
    throw new DataError(
      "NOT_JSON",
      `${path} is not JSON: it starts with ${
        JSON.stringify(first)
      }, expected "[" (JSON array) or "{" (JSON Lines)`,
    );
  }
  if (format === "json" && first !== "[") {
    await reader.cancel().catch(() => {});
    throw new DataError("NOT_JSON", `${path} is not a JSON array: it starts with ${JSON.stringify(first)}`);
  }
  facts.format = format;

  async function* chunks(): AsyncGenerator<string> {
    try {
      if (head !== "") yield head;
      if (done) return;
      while (true) {
        const next = await reader.read();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
  }

  const items = format === "jsonl" ? jsonLines(chunks(), facts, path) : jsonArray(chunks(), facts);
  return { format, facts, [Symbol.asyncIterator]: () => items };
}

async function* jsonLines(
  source: AsyncIterable<string>,
  facts: FileFacts,
  path: string,
): AsyncGenerator<LoadedItem> {
  let carry = "";
  let line = 0;
  let index = 0;
  let parsed = 0;
  const one = (text: string, last: boolean): LoadedItem | null => {
    line++;
    if (text.endsWith("\r")) {
      facts.crlfLines++;
      text = text.slice(0, -1);
    }
    if (text.trim() === "") {
      facts.blankLines++;
      return null;
    }
    const at = index++;
    try {
      const value: unknown = JSON.parse(text);
      parsed++;
      return { kind: "value", index: at, line, value };
    } catch (err) {
      if (last) facts.truncated = true;
      const why = last ? "truncated last line (no newline at end of file) is not valid JSON" : "invalid JSON";
      return { kind: "parse-error", index: at, line, message: `${why}: ${(err as Error).message}` };
    }
  };
  for await (const chunk of source) {
    let text = carry + chunk;
    let start = 0;
    let nl = text.indexOf("\n", start);
    while (nl !== -1) {
      const item = one(text.slice(start, nl), false);
      if (item) yield item;
      start = nl + 1;
      nl = text.indexOf("\n", start);
    }
    carry = text.slice(start);
    text = "";
  }
  if (carry !== "") {
    const item = one(carry, true);
    if (item) yield item;
  }
  if (parsed === 0 && index > 0) {
    throw new DataError(
      "NOT_JSON",
      `${path} is neither a JSON array nor JSON Lines: none of its ${index} non-blank lines parses as JSON on its own`,
    );
  }
}

const STRING_STOP = /["\\\n]/g;
const QUOTE = 34,
  BACKSLASH = 92,
  NEWLINE = 10,
  COMMA = 44,
  OPEN_SQUARE = 91,
  CLOSE_SQUARE = 93,
  OPEN_CURLY = 123,
  CLOSE_CURLY = 125;

/**
 * Splits a top-level JSON array into its elements without parsing the whole document: a small state
 * machine tracks strings, escapes and nesting depth, and each complete element is handed to
 * `JSON.parse` on its own.
 */
async function* jsonArray(source: AsyncIterable<string>, facts: FileFacts): AsyncGenerator<LoadedItem> {
  let line = 1;
  let stage: "before" | "items" | "after" = "before";
  let depth = 0; // nesting inside the current element
  let inString = false;
  let escaped = false;
  let pieces: string[] = [];
  let inElement = false;
  let elementLine = 0;
  let index = 0;
  let expectValue = true; // after "[" or ","
  let trailingReported = false;

  const finish = (): LoadedItem => {
    const text = pieces.join("");
    pieces = [];
    inElement = false;
    const at = index++;
    try {
      return { kind: "value", index: at, line: elementLine, value: JSON.parse(text) };
    } catch (err) {
      return {
        kind: "parse-error",
        index: at,
        line: elementLine,
        message: `invalid JSON: ${(err as Error).message}`,
      };
    }
  };

  for await (const chunk of source) {
    let start = inElement ? 0 : -1;
    const out: LoadedItem[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c === NEWLINE) {
        line++;
        if (i > 0 && chunk.charCodeAt(i - 1) === 13) facts.crlfLines++;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) inString = false;
        else {
          // Jump to the next character that matters inside a string.
          STRING_STOP.lastIndex = i + 1;
          const next = STRING_STOP.exec(chunk);
          i = (next === null ? chunk.length : next.index) - 1;
        }
        continue;
      }
      if (c === 32 || c === NEWLINE || c === 13 || c === 9) continue;
      if (stage === "before") {
        if (c === OPEN_SQUARE) stage = "items";
        continue;
      }
      if (stage === "after") {
        if (!trailingReported) {
          trailingReported = true;
          out.push({ kind: "structure-error", line, message: "unexpected content after the closing ]" });
        }
        continue;
      }
      if (!inElement) {
        if (c === CLOSE_SQUARE) {
          if (!expectValue || index === 0) stage = "after";
          else {
            out.push({ kind: "structure-error", line, message: "trailing comma before ]" });
            stage = "after";
          }
          continue;
        }
        if (c === COMMA) {
          out.push({ kind: "structure-error", line, message: "empty element (stray comma)" });
          continue;
        }
        inElement = true;
        expectValue = false;
        elementLine = line;
        start = i;
        depth = 0;
      }
      if (c === QUOTE) inString = true;
      else if (c === OPEN_CURLY || c === OPEN_SQUARE) depth++;
      else if (c === CLOSE_CURLY || c === CLOSE_SQUARE) {
        if (depth === 0 && c === CLOSE_SQUARE) {
          // "]" closes the array right after an element.
          pieces.push(chunk.slice(start, i));
          out.push(finish());
          stage = "after";
          continue;
        }
        if (depth > 0) depth--;
      } else if (c === COMMA && depth === 0) {
        pieces.push(chunk.slice(start, i));
        out.push(finish());
        expectValue = true;
      }
    }
    if (inElement) pieces.push(chunk.slice(start));
    yield* out;
  }
  if (inElement) {
    facts.truncated = true;
    const at = index++;
    pieces = [];
    yield {
      kind: "parse-error",
      index: at,
      line: elementLine,
      message: "truncated: the file ends inside this record",
    };
  }
  if (stage === "items") {
    facts.truncated = true;
    yield { kind: "structure-error", line, message: "truncated: the array is never closed with ]" };
  }
}
