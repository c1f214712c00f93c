/**
 * `deno task validate-data <file> [--format text|json] [--max-tokens N] [--out cleaned.jsonl]`
 *
 * Validates an Alpaca, ShareGPT or OpenAI-messages file (JSON array or JSON Lines; see docs/data.md). Exit codes: 0 when every record is valid,
 * 1 when some records are invalid, 2 on usage errors (missing file, unknown flag, not JSON).
 */
import { exitOnMissingPermission } from "../lib/missing_permission.ts";
import { DataError } from "../ml/data/errors.ts";
import { formatReportText } from "../ml/data/report.ts";
import { validateFile } from "../ml/data/validate.ts";

const USAGE =
  "usage: deno task validate-data <file> [--format text|json] [--max-tokens N] [--out cleaned.jsonl]";

/** Parsed command line. */
export interface ValidateArgs {
  file: string;
  format: "text" | "json";
  maxTokens: number;
  out?: string;
}

/** Parses arguments; throws `DataError` `INVALID_OPTION` with a one-line reason. */
export function parseValidateArgs(args: string[]): ValidateArgs {
  let file: string | undefined;
  let format: "text" | "json" = "text";
  let maxTokens = 512;
  let out: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [flag, inline] = arg.startsWith("--") && arg.includes("=")
      ? arg.split(/=(.*)/s, 2)
      : [arg, undefined];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new DataError("INVALID_OPTION", `${flag} needs a value`);
      return v;
    };
    if (flag === "--format") {
      const v = value();
      if (v !== "text" && v !== "json") {
        throw new DataError("INVALID_OPTION", `--format must be text or json, not ${v}`);
      }
      format = v;
    } else if (flag === "--max-tokens") {
      const v = value();
      maxTokens = Number(v);
      if (!Number.isInteger(maxTokens) || maxTokens <= 0) {
        throw new DataError("INVALID_OPTION", `--max-tokens must be a positive integer, not ${v}`);
      }
    } else if (flag === "--out") out = value();
    else if (flag === "--help" || flag === "-h") throw new DataError("INVALID_OPTION", "help requested");
    else if (flag.startsWith("-")) throw new DataError("INVALID_OPTION", `unknown flag ${flag}`);
    else if (file === undefined) file = arg;
    else throw new DataError("INVALID_OPTION", `unexpected argument ${arg} (one file at a time)`);
  }
  if (file === undefined) throw new DataError("INVALID_OPTION", "missing <file>");
  return { file, format, maxTokens, out };
}

/** Runs the command and returns its exit code; output goes to the given writers. */
export async function runValidateData(
  args: string[],
  io: { stdout: (s: string) => void; stderr: (s: string) => void; progress?: boolean } = {
    stdout: (s) => Deno.stdout.writeSync(new TextEncoder().encode(s)),
    stderr: (s) => Deno.stderr.writeSync(new TextEncoder().encode(s)),
    progress: true,
  },
): Promise<number> {
  let parsed: ValidateArgs;
  try {
    parsed = parseValidateArgs(args);
  } catch (err) {
    io.stderr(`validate-data: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  let lastPct = -1;
  const onProgress = io.progress
    ? (read: number, total: number) => {
      if (total < 5_000_000) return;
      const pct = Math.floor((100 * read) / total / 10) * 10;
      if (pct > lastPct) {
        lastPct = pct;
        io.stderr(
          `validate-data: read ${(read / 1e6).toFixed(1)} / ${(total / 1e6).toFixed(1)} MB (${pct}%)\n`,
        );
      }
    }
    : undefined;
  try {
    const report = await validateFile(parsed.file, {
      maxTokens: parsed.maxTokens,
      out: parsed.out,
      onProgress,
    });
    io.stdout(parsed.format === "json" ? JSON.stringify(report, null, 2) + "\n" : formatReportText(report));
    return report.ok ? 0 : 1;
  } catch (err) {
    if (err instanceof DataError) {
      io.stderr(`validate-data: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await runValidateData(Deno.args));
  } catch (e) {
    exitOnMissingPermission(e, "validate-data");
    throw e;
  }
}
