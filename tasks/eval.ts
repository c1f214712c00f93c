/**
 * `deno task eval --run <run folder> --data <validation file> [--seqLen N] [--batchSize N] [--json]`:
 * perplexity and per-token loss of a trained run on a validation file (text, or Alpaca/ShareGPT/OpenAI
 * records), recorded in the run's `eval.json` and shown on `/training`. Exit 0 on success, 2 on usage or
 * data errors.
 */
import { CodedError } from "../ml/errors.ts";
import { exitOnMissingPermission } from "../lib/missing_permission.ts";
import { BackendError, initBackend } from "../ml/backend.ts";
import { CheckpointError } from "../ml/checkpoint.ts";
import { type EvalOptions, type EvalResult, evaluateRun } from "../ml/eval.ts";
import { TrainError } from "../ml/train.ts";

/** Usage of the task. */
export const USAGE = `usage: deno task eval --run <run folder> --data <file> [options]
  --run <dir>       a run folder written by deno task train (its model/, adapter/ over its base, or merged/)
  --data <file>     validation file: text (pretraining) or Alpaca/ShareGPT/OpenAI-messages JSON or JSONL
  --seqLen N        window length (default and at most the model's blockSize)
  --batchSize N     sequences per forward pass (default 8)
  --json            print the result as JSON
  --help            this text
The result is also written to <run>/eval.json (one entry per data file).`;

/** A bad command line. */
export class EvalArgsError extends CodedError<"EVAL_ARGS"> {
  /** A bad command line; `message` says which argument. */
  constructor(message: string) {
    super("EVAL_ARGS", message);
    this.name = "EvalArgsError";
  }
}

/** Parsed command line. */
export type EvalArgs = EvalOptions & { json: boolean };

/** Parses the arguments; `help` for `--help`/`-h`. */
export function parseEvalArgs(args: readonly string[]): EvalArgs | "help" {
  if (args.includes("--help") || args.includes("-h")) return "help";
  const out: Partial<EvalArgs> = { json: false };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].includes("=") ? args[i].split(/=(.*)/s, 2) : [args[i], undefined];
    if (flag === "--json") {
      out.json = true;
      continue;
    }
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined || v === "") throw new EvalArgsError(`${flag} needs a value`);
      return v;
    };
    const count = (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 1_000_000) {
        throw new EvalArgsError(`${flag} must be an integer ≥ 1, not ${v}`);
      }
      return n;
    };
    if (flag === "--run") out.run = value();
    else if (flag === "--data") out.data = value();
    else if (flag === "--seqLen") out.seqLen = count(value());
    else if (flag === "--batchSize") out.batchSize = count(value());
    else throw new EvalArgsError(`unknown argument ${args[i]}`);
  }
  if (!out.run) throw new EvalArgsError("--run <run folder> is required");
  if (!out.data) throw new EvalArgsError("--data <file> is required");
  return out as EvalArgs;
}

/** The result as a few lines of text. */
export function formatEval(r: EvalResult): string {
  const d = r.perToken;
  return [
    `${r.data} (${r.kind}, ${r.sequences} ${
      r.kind === "text" ? "windows" : "examples"
    } of ≤ ${r.seqLen} tokens, ` +
    `weights: ${r.weights})`,
    `tokens ${r.tokens} · loss ${r.loss.toFixed(4)} nats/token · perplexity ${r.perplexity.toFixed(3)}` +
    (r.bitsPerByte === undefined ? "" : ` · ${r.bitsPerByte.toFixed(4)} bits/byte`),
    `per-token loss: p50 ${d.p50.toFixed(4)} · p90 ${d.p90.toFixed(4)} · p99 ${d.p99.toFixed(4)} · max ${
      d.max.toFixed(4)
    }`,
  ].join("\n");
}

if (import.meta.main) {
  let code = 0;
  try {
    const parsed = parseEvalArgs(Deno.args);
    if (parsed === "help") console.log(USAGE);
    else {
      await initBackend();
      const result = await evaluateRun(parsed);
      console.log(parsed.json ? JSON.stringify(result, null, 2) : formatEval(result));
    }
  } catch (e) {
    if (e instanceof EvalArgsError) {
      console.error(`eval: ${e.message}\n${USAGE}`);
      code = 2;
    } else if (e instanceof TrainError || e instanceof CheckpointError || e instanceof BackendError) {
      console.error(`eval: ${e.message}`);
      code = 2;
    } else if (e instanceof Deno.errors.NotFound) {
      console.error(`eval: ${(e as Error).message}`);
      code = 2;
    } else {
      exitOnMissingPermission(e, "eval");
      throw e;
    }
  }
  Deno.exit(code);
}
