/** Renders a {@link ValidationReport} as readable Markdown-style tables for the terminal. */
import type { FieldLengths } from "./quality.ts";
import { METRIC_NAMES } from "./quality.ts";
import type { Distribution } from "./stats.ts";
import type { ValidationReport } from "./validate.ts";

function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  const line = (r: string[]) => `| ${r.map((v, c) => v.padEnd(widths[c])).join(" | ")} |`;
  return [line(cells[0]), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...cells.slice(1).map(line)]
    .join("\n");
}

function distRow(name: string, d: Distribution): (string | number)[] {
  return [name, d.min, d.mean, d.p50, d.p90, d.p95, d.p99, d.max];
}

const CHAT_NAMES: Record<string, string> = {
  alpaca: "",
  sharegpt: " of ShareGPT conversations",
  openai: " of OpenAI-messages conversations",
};

/** The report as text: summary, errors, quality metrics, length distributions, score. */
export function formatReportText(report: ValidationReport, maxListed = 20): string {
  const out: string[] = [];
  const { records, file } = report;
  const mb = (file.sizeBytes / 1e6).toFixed(2);
  out.push(`# Validation report: ${report.path}`);
  out.push("");
  out.push(
    `${
      report.ok ? "VALID" : "INVALID"
    }: ${records.total} records (${records.valid} valid, ${records.invalid} invalid), ` +
      `${file.format === "json" ? "JSON array" : "JSON Lines"}${
        CHAT_NAMES[report.recordFormat ?? "alpaca"]
      }, ` +
      `${mb} MB, ${report.elapsedMs} ms ` +
      `(${report.recordsPerSecond} records/s)`,
  );
  const notes: string[] = [];
  if (file.bom) notes.push("UTF-8 byte order mark skipped");
  if (file.crlfLines > 0) notes.push(`${file.crlfLines} CRLF line ends`);
  if (file.blankLines > 0) notes.push(`${file.blankLines} blank lines skipped`);
  if (file.truncated) notes.push("file is truncated");
  if (notes.length > 0) out.push(`File: ${notes.join("; ")}.`);
  if (report.recordFormat === "sharegpt" || report.recordFormat === "openai") {
    out.push(
      "Quality checks see each conversation as user turns → instruction, system turn → input, " +
        "assistant turns → output.",
    );
  }

  if (report.structureErrors.length > 0 || report.errorCount > 0) {
    out.push("", `## Errors (${report.errorCount + report.structureErrors.length})`, "");
    const rows: (string | number)[][] = [
      ...report.structureErrors.map((e) => ["-", e.line, "(file)", e.message]),
      ...report.errors.slice(0, maxListed).map((e) => [e.index, e.line, e.field, e.message]),
    ];
    out.push(table(["record", "line", "field", "problem"], rows));
    const hidden = report.errorCount - Math.min(report.errors.length, maxListed);
    if (hidden > 0) out.push(`… and ${hidden} more (use --format json for all)`);
  }
  if (report.warningCount > 0) {
    out.push("", `## Warnings (${report.warningCount})`, "");
    out.push(table(
      ["record", "line", "field", "warning"],
      report.warnings.slice(0, maxListed).map((w) => [w.index, w.line, w.field, w.message]),
    ));
    const hidden = report.warningCount - Math.min(report.warnings.length, maxListed);
    if (hidden > 0) out.push(`… and ${hidden} more`);
  }

  const q = report.quality;
  out.push("", "## Quality", "");
  out.push(table(
    ["check", "records", "%", "first records"],
    METRIC_NAMES.map((name) => {
      const m = q.metrics[name];
      const pct = q.records === 0 ? "0.0" : ((100 * m.count) / q.records).toFixed(1);
      return [name, m.count, pct, m.indices.slice(0, 8).join(", ") + (m.count > 8 ? ", …" : "")];
    }),
  ));
  const withExamples = METRIC_NAMES.filter((n) => q.metrics[n].examples.length > 0);
  if (withExamples.length > 0) {
    out.push("", "### Examples", "");
    const rows: (string | number)[][] = [];
    for (const name of withExamples) {
      for (const e of q.metrics[name].examples.slice(0, 3)) rows.push([name, e.index, e.line, e.detail]);
    }
    out.push(table(["check", "record", "line", "detail"], rows));
  }
  const variants = q.metrics.placeholderInput.variants ?? {};
  if (Object.keys(variants).length > 0) {
    out.push(
      "",
      `No-input placeholders to normalize to "": ${
        Object.entries(variants).map(([k, v]) => `${JSON.stringify(k)} ×${v}`).join(", ")
      }`,
    );
  }

  out.push("", "## Lengths", "");
  const rows: (string | number)[][] = [];
  for (const field of ["instruction", "input", "output"] as const) {
    const l: FieldLengths = q.lengths[field];
    rows.push(distRow(`${field} chars`, l.chars), distRow(`${field} words`, l.words));
    rows.push(distRow(`${field} GPT-2 tokens`, l.gpt2Tokens));
  }
  rows.push(distRow("example GPT-2 tokens", q.lengths.exampleTokens));
  out.push(table(["field", "min", "mean", "p50", "p90", "p95", "p99", "max"], rows));

  out.push(
    "",
    `Near-duplicate pass: ${q.nearDuplicatePass.candidates} candidate pairs, ` +
      `${q.nearDuplicatePass.lcsComputed} exact ROUGE-L computations, ${q.nearDuplicatePass.ms} ms.`,
  );
  if (report.cleaned) {
    const c = report.cleaned;
    out.push(
      "",
      `Cleaned copy: ${c.path}: ${c.written} records written; dropped ${c.droppedInvalid} invalid, ` +
        `${c.droppedExactDuplicates} exact duplicates, ${c.droppedEmpty} empty, ${c.droppedPlaceholderOutput} ` +
        `placeholder outputs; ${c.normalizedInputs} placeholder inputs normalized to "".`,
    );
  }
  out.push("", `## Score: ${q.score.value} / 100`, "", q.score.explanation);
  return out.join("\n") + "\n";
}
