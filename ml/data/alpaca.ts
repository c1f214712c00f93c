/**
 * The Alpaca record format `{ instruction, input, output }` (all strings), its zod schema and the
 * per-record check that turns a parsed JSON value into a record or into precise problems.
 * Re-exports the Stanford Alpaca templates and the streaming loaders so one import serves a trainer.
 */
import { z } from "zod";
import { DataError } from "./errors.ts";
import { type OpenOptions as Open, openRecords as open } from "./loaders.ts";

export { formatPrompt, PROMPT_NO_INPUT, PROMPT_WITH_INPUT, splitPromptResponse } from "./templates.ts";
export type { PromptFields, PromptResponse } from "./templates.ts";
export { openRecords } from "./loaders.ts";
export type { DataFormat, FileFacts, LoadedItem, OpenOptions, RecordStream } from "./loaders.ts";

/** One instruction-following example. */
export interface AlpacaRecord {
  /** What to do. */
  instruction: string;
  /** Optional context for the instruction (`""` when there is none). */
  input: string;
  /** The desired answer. */
  output: string;
}

/** The zod schema of a record as stored; `input` may be absent (read as "") but must be a string if present. */
export const alpacaRecordSchema: z.ZodType<{ instruction: string; input?: string; output: string }> = z
  .object({
    instruction: z.string(),
    input: z.string().optional(),
    output: z.string(),
  });

/** The three known field names, in order. */
export const ALPACA_FIELDS: readonly ["instruction", "input", "output"] = ["instruction", "input", "output"];

/** A problem with one record: where it is, which field, what is wrong. */
export interface RecordIssue {
  /** 0-based position of the record in the file. */
  index: number;
  /** 1-based line where the record starts. */
  line: number;
  /** The field concerned, or `(record)` for the record as a whole. */
  field: string;
  /** What is wrong. */
  message: string;
}

/** Result of checking one parsed value. */
export interface RecordCheck {
  record: AlpacaRecord | null;
  errors: RecordIssue[];
  warnings: RecordIssue[];
}

/**
 * Checks one parsed JSON value against the schema. Errors make the record invalid; unknown fields and
 * a missing `input` (read as "") are warnings.
 */
export function checkRecord(value: unknown, index: number, line: number): RecordCheck {
  const errors: RecordIssue[] = [];
  const warnings: RecordIssue[] = [];
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const kind = value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
    errors.push({ index, line, field: "(record)", message: `expected an object, got ${kind}` });
    return { record: null, errors, warnings };
  }
  const parsed = alpacaRecordSchema.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path.length > 0 ? issue.path.map(String).join(".") : "(record)";
      const got = describe((value as Record<string, unknown>)[field]);
      const message = issue.code === "invalid_type"
        ? (got === "undefined"
          ? `missing (expected ${issue.expected})`
          : `expected ${issue.expected}, got ${got}`)
        : issue.message;
      errors.push({ index, line, field, message });
    }
  }
  for (const key of Object.keys(value)) {
    if (!(ALPACA_FIELDS as readonly string[]).includes(key)) {
      warnings.push({ index, line, field: key, message: "unknown field (ignored)" });
    }
  }
  if (!("input" in value)) warnings.push({ index, line, field: "input", message: "missing, read as empty" });
  if (!parsed.success) return { record: null, errors, warnings };
  const { instruction, input, output } = parsed.data;
  return { record: { instruction, input: input ?? "", output }, errors, warnings };
}

function describe(v: unknown): string {
  if (v === undefined) return "undefined";
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/** A valid record with its position in the file. */
export interface LocatedRecord extends AlpacaRecord {
  /** 0-based position of the record in the file. */
  index: number;
  /** 1-based line the record starts on. */
  line: number;
}

/** Options for {@link readAlpacaRecords}. */
export interface ReadOptions extends Open {
  /** Skip invalid records instead of throwing `DataError` `INVALID_RECORD` at the first one. Default false. */
  skipInvalid?: boolean;
}

/**
 * Streams the valid records of a JSON array or JSON Lines file (for training loops). By default the
 * first invalid record throws a `DataError` (`INVALID_RECORD`) naming its index, line and field.
 */
export async function* readAlpacaRecords(
  path: string,
  options: ReadOptions = {},
): AsyncGenerator<LocatedRecord> {
  for await (const item of await open(path, options)) {
    if (item.kind === "structure-error") {
      if (options.skipInvalid) continue;
      throw new DataError("INVALID_RECORD", `${path}:${item.line}: ${item.message}`);
    }
    const check = item.kind === "value" ? checkRecord(item.value, item.index, item.line) : {
      record: null,
      errors: [{ index: item.index, line: item.line, field: "(record)", message: item.message }],
    };
    if (check.record === null) {
      if (options.skipInvalid) continue;
      const e = check.errors[0];
      throw new DataError(
        "INVALID_RECORD",
        `${path}:${e.line}: record ${e.index}, field ${e.field}: ${e.message}`,
      );
    }
    yield { ...check.record, index: item.index, line: item.line };
  }
}

/** Reads every valid record of a file into memory (see {@link readAlpacaRecords}). */
export async function loadAlpacaRecords(path: string, options: ReadOptions = {}): Promise<AlpacaRecord[]> {
  const out: AlpacaRecord[] = [];
  for await (const r of readAlpacaRecords(path, options)) {
    out.push({ instruction: r.instruction, input: r.input, output: r.output });
  }
  return out;
}
