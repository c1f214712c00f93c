/**
 * `deno task export-hf (--run <run folder> | --checkpoint <dir>) --out <dir>`: writes Hugging Face GPT-2
 * folders (config.json, model.safetensors, vocab.json, merges.txt, tokenizer files; see ml/hf_export.ts).
 * A LoRA run gives `<out>/base` (its base checkpoint), `<out>/adapter` (its adapter as a PEFT adapter for
 * that GPT-2, q/k/v packed into c_attn) and `<out>/merged` (base + adapter); a pretraining
 * run or a checkpoint gives `<out>` (a checkpoint's own adapter/ merged in). Exit 2 on usage errors.
 */
import { CodedError } from "../ml/errors.ts";
import { exitOnMissingPermission } from "../lib/missing_permission.ts";
import { BackendError, initBackend } from "../ml/backend.ts";
import { CheckpointError, exists, loadCheckpoint } from "../ml/checkpoint.ts";
import { ExportError, exportGpt2, exportGpt2Adapter } from "../ml/hf_export.ts";
import { ADAPTER_CONFIG_FILE, LoraError, LoraModel } from "../ml/lora.ts";

/** Usage of the task. */
export const USAGE = `usage: deno task export-hf (--run <run folder> | --checkpoint <dir>) --out <dir>
  --run <dir>         a run of deno task train: model/ (pretrain), or adapter/ over the base in its config.json
                      (written as base/, adapter/ for PEFT, merged/)
  --checkpoint <dir>  a checkpoint folder (e.g. models/local); its adapter/, if any, is merged in
  --out <dir>         where the Hugging Face GPT-2 folder(s) go (must not exist yet)
  --help              this text`;

/** A bad command line or input. */
export class ExportArgsError extends CodedError<"EXPORT_ARGS"> {
  /** A bad command line; `message` says which argument. */
  constructor(message: string) {
    super("EXPORT_ARGS", message);
    this.name = "ExportArgsError";
  }
}

/** Parsed command line. */
export interface ExportArgs {
  run?: string;
  checkpoint?: string;
  out: string;
}

/** Parses the arguments; `help` for `--help`/`-h`. */
export function parseExportArgs(args: readonly string[]): ExportArgs | "help" {
  if (args.includes("--help") || args.includes("-h")) return "help";
  const out: Partial<ExportArgs> = {};
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].includes("=") ? args[i].split(/=(.*)/s, 2) : [args[i], undefined];
    if (!["--run", "--checkpoint", "--out"].includes(flag)) {
      throw new ExportArgsError(`unknown argument ${args[i]}`);
    }
    const v = inline ?? args[++i];
    if (v === undefined || v === "") throw new ExportArgsError(`${flag} needs a value`);
    out[flag.slice(2) as keyof ExportArgs] = v;
  }
  if ((out.run === undefined) === (out.checkpoint === undefined)) {
    throw new ExportArgsError("give exactly one of --run and --checkpoint");
  }
  if (!out.out) throw new ExportArgsError("--out <dir> is required");
  return out as ExportArgs;
}

/** Runs the export; returns the folders written. */
export async function runExport(args: ExportArgs): Promise<string[]> {
  if (await exists(args.out)) throw new ExportArgsError(`--out ${args.out} already exists`);
  if (args.checkpoint) {
    const { model, tokenizer } = await loadCheckpoint(args.checkpoint);
    await exportGpt2(model, tokenizer, args.out);
    model.dispose();
    return [args.out];
  }
  const run = args.run!;
  if (await exists(`${run}/model/config.json`)) {
    return await runExport({ checkpoint: `${run}/model`, out: args.out });
  }
  if (!(await exists(`${run}/adapter/${ADAPTER_CONFIG_FILE}`))) {
    throw new ExportArgsError(`${run} holds neither model/ nor adapter/`);
  }
  let base: unknown;
  try {
    base = JSON.parse(await Deno.readTextFile(`${run}/config.json`)).base;
  } catch (e) {
    throw new ExportArgsError(`${run}/config.json: ${(e as Error).message}`);
  }
  if (typeof base !== "string") throw new ExportArgsError(`${run}/config.json names no base checkpoint`);
  const { model, tokenizer } = await loadCheckpoint(base, { adapter: false });
  await exportGpt2(model, tokenizer, `${args.out}/base`);
  const lora = await LoraModel.load(model, `${run}/adapter`);
  await exportGpt2Adapter(lora, `${args.out}/adapter`);
  lora.mergeAndUnload();
  await exportGpt2(model, tokenizer, `${args.out}/merged`);
  model.dispose();
  return [`${args.out}/base`, `${args.out}/adapter`, `${args.out}/merged`];
}

if (import.meta.main) {
  let code = 0;
  try {
    const parsed = parseExportArgs(Deno.args);
    if (parsed === "help") console.log(USAGE);
    else {
      await initBackend();
      for (const dir of await runExport(parsed)) console.log(`wrote ${dir}`);
    }
  } catch (e) {
    if (e instanceof ExportArgsError) {
      console.error(`export-hf: ${e.message}\n${USAGE}`);
      code = 2;
    } else if (
      e instanceof CheckpointError || e instanceof LoraError || e instanceof ExportError ||
      e instanceof BackendError
    ) {
      console.error(`export-hf: ${e.message}`);
      code = 2;
    } else {
      exitOnMissingPermission(e, "export-hf");
      throw e;
    }
  }
  Deno.exit(code);
}
