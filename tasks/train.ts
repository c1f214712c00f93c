/**
 * `deno task train [--config file.json] [--key value ...]`: pretraining or LoRA fine-tuning (see
 * `ml/train.ts` and `docs/training.md`). Shows a progress bar (step, loss, tokens/s, ETA); Ctrl+C
 * saves a checkpoint and exits with 130 (continue with `--resume --out <run dir>`).
 */
import { exitOnMissingPermission } from "../lib/missing_permission.ts";
import { runTraining, TrainError } from "../ml/train.ts";
import { loadTrainConfig, parseFlags, TrainConfigError, trainOptionsHelp } from "../ml/train_config.ts";
import { CheckpointError } from "../ml/checkpoint.ts";
import { BackendError } from "../ml/backend.ts";

const HELP = `usage: deno task train --mode pretrain|lora --data.train <file> [options]
Flags: --key value, --key=value, --flag (true), --no-flag (false); lists comma-separated.
${trainOptionsHelp()}
See docs/training.md.`;

function fmtTime(sec: number): string {
  if (!Number.isFinite(sec)) return "?";
  const s = Math.round(sec);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`
    : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

async function main(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(HELP);
    return 0;
  }
  // With --resume, the run's saved config.json is the base the flags override.
  let base: Record<string, unknown> = {};
  const { values } = parseFlags(args);
  if (values.resume === true && typeof values.out === "string") {
    try {
      base = JSON.parse(await Deno.readTextFile(`${values.out}/config.json`));
    } catch {
      // no saved config: the flags alone must describe the run
    }
  }
  const config = await loadTrainConfig(args, base);
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) Deno.exit(130);
    console.error("\nCtrl+C: saving a checkpoint after this step (press again to quit without saving)");
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", onSigint);
  const tty = Deno.stderr.isTerminal();
  const enc = new TextEncoder();
  let lastLine = 0;
  try {
    const result = await runTraining(config, {
      signal: controller.signal,
      log: (line) => console.error(`${tty ? "\r\x1b[2K" : ""}${line}`),
      onProgress: (p) => {
        const width = 24, filled = Math.round((width * p.step) / p.steps);
        const line = `step ${p.step}/${p.steps} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ` +
          `loss ${p.loss.toFixed(4)}${p.valLoss === undefined ? "" : ` val ${p.valLoss.toFixed(4)}`} | ` +
          `${Math.round(p.tokensPerSec).toLocaleString("en-US")} tok/s | ETA ${fmtTime(p.etaSec)}`;
        if (tty) Deno.stderr.writeSync(enc.encode(`\r\x1b[2K${line}`));
        else if (p.step === p.steps || performance.now() - lastLine > 5000) {
          console.error(line);
          lastLine = performance.now();
        }
      },
    });
    if (tty) console.error("");
    console.error(
      `${result.stopped ? "stopped" : "done"}: ${result.step} steps, last loss ${
        result.losses.at(-1)?.toFixed(4) ?? "-"
      }` +
        `${result.lastValLoss === undefined ? "" : `, val ${result.lastValLoss.toFixed(4)}`}, ` +
        `${Math.round(result.tokensPerSec).toLocaleString("en-US")} tok/s; run folder ${result.outDir}`,
    );
    return result.stopped ? 130 : 0;
  } finally {
    Deno.removeSignalListener("SIGINT", onSigint);
  }
}

try {
  Deno.exit(await main(Deno.args));
} catch (e) {
  if (
    e instanceof TrainConfigError || e instanceof TrainError || e instanceof CheckpointError ||
    e instanceof BackendError
  ) {
    console.error(e.message);
    Deno.exit(2);
  }
  exitOnMissingPermission(e, "train");
  throw e;
}
