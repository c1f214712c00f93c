/**
 * Validates an instruction or chat data file (Alpaca, ShareGPT or OpenAI messages; see `chat.ts`) in one
 * streaming pass: schema check per record, quality metrics, and optionally a cleaned copy written
 * alongside (never over the input).
 */
import type { RecordIssue } from "./alpaca.ts";
import { checkAnyRecord, type DataRecord, qualityView, type RecordFormat, serializeRecord } from "./chat.ts";
import { DataError } from "./errors.ts";
import { type FileFacts, type OpenOptions, openRecords } from "./loaders.ts";
import { QualityAnalyzer, type QualityOptions, type QualityReport } from "./quality.ts";

/** Options for {@link validateFile}. */
export interface ValidateOptions extends QualityOptions {
  /** Force the input format instead of sniffing it. */
  format?: OpenOptions["format"];
  /** Write a cleaned copy here (`.json` → JSON array, anything else → JSON Lines). */
  out?: string;
  /** Called with bytes read so far and the file size. */
  onProgress?: OpenOptions["onProgress"];
  /** Errors and warnings kept in the report (counts are always exact). Default 1,000 each. */
  maxIssues?: number;
}

/** What the cleaned copy contains and what was left out. */
export interface CleanedSummary {
  /** Where the cleaned copy was written. */
  path: string;
  /** Records written. */
  written: number;
  /** Invalid records dropped. */
  droppedInvalid: number;
  /** Exact duplicates dropped (the first is kept). */
  droppedExactDuplicates: number;
  /** Records with an empty instruction or output dropped. */
  droppedEmpty: number;
  /** Records with a placeholder output dropped. */
  droppedPlaceholderOutput: number;
  /** Records whose placeholder input was rewritten to "". */
  normalizedInputs: number;
}

/** The full result of validating a file. */
export interface ValidationReport {
  /** The file validated. */
  path: string;
  /** Facts about the file (format, size, BOM, line endings). */
  file: FileFacts;
  /** Record counts. */
  records: { total: number; valid: number; invalid: number };
  /** True when every record parsed and matched the schema and the file is structurally sound. */
  ok: boolean;
  /** Number of errors (all of them, even beyond `errors`). */
  errorCount: number;
  /** The first errors, each with record index, line, field and problem. */
  errors: RecordIssue[];
  /** Problems with the file's structure rather than one record (trailing data, missing "]"). */
  structureErrors: { line: number; message: string }[];
  /** Number of warnings. */
  warningCount: number;
  /** The first warnings. */
  warnings: RecordIssue[];
  /** How many records carry each unknown field. */
  unknownFields: Record<string, number>;
  /**
   * The file's record format (that of its first record; a record in another format is an error), or null
   * when no record was an object.
   */
  recordFormat: RecordFormat | null;
  /** The quality checks and score. */
  quality: QualityReport;
  /** What the cleaned copy kept and dropped, when one was written. */
  cleaned?: CleanedSummary;
  /** Wall time of the validation. */
  elapsedMs: number;
  /** Throughput. */
  recordsPerSecond: number;
}

/**
 * Validates `path`. Throws `DataError` for usage-level problems (missing file, not JSON, output path
 * equal to the input); record problems are reported, not thrown.
 */
export async function validateFile(path: string, options: ValidateOptions = {}): Promise<ValidationReport> {
  const started = performance.now();
  const maxIssues = options.maxIssues ?? 1000;
  if (options.out !== undefined) await assertDistinct(path, options.out);
  const stream = await openRecords(path, { format: options.format, onProgress: options.onProgress });
  const analyzer = new QualityAnalyzer(options);
  const report = {
    errors: [] as RecordIssue[],
    warnings: [] as RecordIssue[],
    structureErrors: [] as { line: number; message: string }[],
    errorCount: 0,
    warningCount: 0,
    unknownFields: {} as Record<string, number>,
  };
  const records = { total: 0, valid: 0, invalid: 0 };
  const writer = options.out === undefined ? null : await CleanedWriter.open(options.out);
  let recordFormat: RecordFormat | null = null;

  try {
    for await (const item of stream) {
      if (item.kind === "structure-error") {
        report.structureErrors.push({ line: item.line, message: item.message });
        continue;
      }
      records.total++;
      if (item.kind === "parse-error") {
        records.invalid++;
        report.errorCount++;
        if (report.errors.length < maxIssues) {
          report.errors.push({
            index: item.index,
            line: item.line,
            field: "(record)",
            message: item.message,
          });
        }
        analyzer.addInvalid(item.index);
        if (writer) writer.summary.droppedInvalid++;
        continue;
      }
      const check = checkAnyRecord(item.value, item.index, item.line);
      if (check.format !== null) {
        recordFormat ??= check.format;
        if (check.format !== recordFormat) {
          check.errors.push({
            index: item.index,
            line: item.line,
            field: "(record)",
            message: `${FORMAT_NAMES[check.format]} record in ${FORMAT_NAMES[recordFormat]} file`,
          });
          check.record = null;
        }
      }
      for (const w of check.warnings) {
        report.warningCount++;
        if (report.warnings.length < maxIssues) report.warnings.push(w);
        if (w.message.startsWith("unknown field")) {
          report.unknownFields[w.field] = (report.unknownFields[w.field] ?? 0) + 1;
        }
      }
      if (check.record === null) {
        records.invalid++;
        report.errorCount += check.errors.length;
        for (const e of check.errors) if (report.errors.length < maxIssues) report.errors.push(e);
        analyzer.addInvalid(item.index);
        if (writer) writer.summary.droppedInvalid++;
        continue;
      }
      records.valid++;
      const data = check.record;
      const view = data.format === "alpaca" ? data.record : qualityView(data.messages);
      const verdict = analyzer.add(item.index, item.line, view);
      if (writer) {
        const s = writer.summary;
        if (verdict.duplicateOf !== null) s.droppedExactDuplicates++;
        else if (verdict.flags.includes("emptyInstruction") || verdict.flags.includes("emptyOutput")) {
          s.droppedEmpty++;
        } else if (verdict.flags.includes("placeholderOutput")) s.droppedPlaceholderOutput++;
        else {
          if (verdict.placeholderInput !== null && data.format === "alpaca") {
            s.normalizedInputs++;
            await writer.write({ format: "alpaca", record: { ...data.record, input: "" } });
          } else await writer.write(data);
        }
      }
    }
    if (writer) await writer.commit();
  } catch (err) {
    if (writer) await writer.abort();
    throw err;
  }

  const quality = analyzer.finish();
  const elapsedMs = Math.round(performance.now() - started);
  return {
    path,
    file: stream.facts,
    records,
    ok: records.invalid === 0 && report.structureErrors.length === 0,
    ...report,
    recordFormat,
    quality,
    cleaned: writer?.summary,
    elapsedMs,
    recordsPerSecond: Math.round(records.total / Math.max(elapsedMs / 1000, 1e-3)),
  };
}

const FORMAT_NAMES: Record<RecordFormat, string> = {
  alpaca: "an Alpaca",
  sharegpt: "a ShareGPT",
  openai: "an OpenAI messages",
};

async function assertDistinct(input: string, out: string): Promise<void> {
  const real = async (p: string) => {
    try {
      return await Deno.realPath(p);
    } catch {
      return null;
    }
  };
  const a = await real(input);
  const b = await real(out);
  if (a !== null && b !== null && a === b) {
    throw new DataError("INVALID_OPTION", `--out ${out} is the input file; the input is never overwritten`);
  }
}

/** Writes the cleaned copy to a temporary file and renames it into place only when the pass succeeds. */
class CleanedWriter {
  readonly summary: CleanedSummary;
  readonly #file: Deno.FsFile;
  readonly #tmp: string;
  readonly #array: boolean;
  readonly #encoder = new TextEncoder();
  #buffer: string[] = [];
  #bufferChars = 0;

  private constructor(path: string, tmp: string, file: Deno.FsFile) {
    this.summary = {
      path,
      written: 0,
      droppedInvalid: 0,
      droppedExactDuplicates: 0,
      droppedEmpty: 0,
      droppedPlaceholderOutput: 0,
      normalizedInputs: 0,
    };
    this.#tmp = tmp;
    this.#file = file;
    this.#array = path.toLowerCase().endsWith(".json");
  }

  static async open(path: string): Promise<CleanedWriter> {
    const tmp = `${path}.tmp-${Deno.pid}`;
    try {
      const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
      return new CleanedWriter(path, tmp, file);
    } catch (err) {
      throw new DataError("INVALID_OPTION", `cannot write ${path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  async write(record: DataRecord): Promise<void> {
    const json = JSON.stringify(serializeRecord(record));
    const text = this.#array ? `${this.summary.written === 0 ? "[\n" : ",\n"}${json}` : `${json}\n`;
    this.summary.written++;
    this.#buffer.push(text);
    this.#bufferChars += text.length;
    if (this.#bufferChars > 1 << 20) await this.#flush();
  }

  async commit(): Promise<void> {
    if (this.#array) this.#buffer.push(this.summary.written === 0 ? "[]\n" : "\n]\n");
    await this.#flush();
    this.#file.close();
    await Deno.rename(this.#tmp, this.summary.path);
  }

  async abort(): Promise<void> {
    try {
      this.#file.close();
    } catch { /* already closed */ }
    await Deno.remove(this.#tmp).catch(() => {});
  }

  async #flush(): Promise<void> {
    const bytes = this.#encoder.encode(this.#buffer.join(""));
    this.#buffer = [];
    this.#bufferChars = 0;
    let offset = 0;
    while (offset < bytes.length) offset += await this.#file.write(bytes.subarray(offset));
  }
}
