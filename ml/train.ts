/**
 * Training runs (`deno task train`), two modes:
 * - `pretrain`: every weight of a {@link Gpt} on a text corpus (a BPE tokenizer is trained on the text
 *   first, unless continuing from `base`);
 * - `lora`: LoRA adapters on Alpaca records from a base checkpoint; prompt tokens are masked out of the
 *   loss and EOS is appended to each response. Base weights stay frozen (bit-identical).
 *
 * AdamW, warmup + cosine learning rate, gradient accumulation, global-norm clipping, validation loss
 * every `evalEvery` steps, resumable checkpoints every `saveEvery` steps and when stopped (abort signal,
 * i.e. Ctrl+C in the task), everything seeded. The run folder holds `config.json`, `metrics.jsonl`,
 * `loss.svg`, `checkpoint/` (resume state), and the result: `model/` (pretrain), `adapter/` (PEFT
 * format) and optionally `merged/` (lora).
 */
import { initBackend, tf } from "./backend.ts";
import {
  type CheckpointError,
  encodeVariables,
  exists,
  loadCheckpoint,
  saveCheckpoint,
} from "./checkpoint.ts";
import {
  type BatchSource,
  encodeChatExample,
  encodeExample,
  InstructionDataset,
  type PromptResponseText,
  TextDataset,
} from "./dataset.ts";
import { splitPromptResponse } from "./data/alpaca.ts";
import { type ChatMessage, checkAnyRecord, recordFormatOf } from "./data/chat.ts";
import { chartSvg } from "./loss_chart.ts";
import { LoraModel } from "./lora.ts";
import { Gpt } from "./model.ts";
import { AdamW, type AdamWState } from "./optim.ts";
import { decodeSafetensors, toFloat32 } from "./safetensors.ts";
import { learningRate } from "./schedule.ts";
import { evaluate, trainStep } from "./step.ts";
import { Tokenizer } from "./tokenizer.ts";
import type { TrainConfig } from "./train_config.ts";
import { CodedError } from "./errors.ts";
import type { Tensor } from "./tensor_types.ts";

export type { CheckpointError };

/** One line of `metrics.jsonl`. */
export type MetricRecord =
  | {
    type: "train";
    step: number;
    loss: number;
    lr: number;
    gradNorm: number;
    tokens: number;
    tokensPerSec: number;
    elapsedSec: number;
  }
  | { type: "val"; step: number; loss: number };

/** Progress reported after each update. */
export interface Progress {
  step: number;
  steps: number;
  loss: number;
  valLoss?: number;
  tokensPerSec: number;
  etaSec: number;
}

/** Options of {@link runTraining}. */
export interface RunOptions {
  /** Stops the run after the current update, saving a checkpoint (Ctrl+C). */
  signal?: AbortSignal;
  /** Called after every update. */
  onProgress?: (p: Progress) => void;
  /** Informational lines (data sizes, parameter counts, where things were saved). */
  log?: (line: string) => void;
}

/** What a run did. */
export interface RunResult {
  /** The run folder. */
  outDir: string;
  /** Updates completed (including those of a resumed earlier part). */
  step: number;
  /** True when stopped by the signal (Ctrl+C): a checkpoint was saved, the result was not. */
  stopped: boolean;
  /** True when `maxSeconds` ended the run before `steps`: the result was saved as if finished. */
  timedOut: boolean;
  /** Training losses by step, this part of the run only. */
  losses: number[];
  /** Validation loss at the last evaluation, if any. */
  lastValLoss?: number;
  /** Mean training tokens per second over this part of the run. */
  tokensPerSec: number;
  /** Scalars that were trained. */
  trainable: number;
  /** All scalars of the model. */
  total: number;
}

/** Why a run could not start. */
export class TrainError extends CodedError<"TRAIN_DATA" | "TRAIN_RESUME" | "TRAIN_OUT_EXISTS"> {}

const CHECKPOINT_DIR = "checkpoint";

async function readText(path: string, what: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    throw new TrainError("TRAIN_DATA", `cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

/** One training example read from an instruction or chat file. */
export type TrainingExample =
  | { kind: "instruction"; text: PromptResponseText }
  | { kind: "chat"; messages: ChatMessage[] };

/**
 * Reads an Alpaca, ShareGPT or OpenAI-messages file (a JSON array or JSON Lines; one format per file) as
 * training examples: Alpaca records become prompt/response pairs with the Stanford templates, conversations
 * stay turns (encoded later with the ChatML template). The first invalid record stops with its location and
 * problem, as `deno task validate-data` reports it.
 */
export async function readTrainingExamples(path: string): Promise<TrainingExample[]> {
  const text = (await readText(path, "instruction data")).replace(/^\uFEFF/, "");
  let values: unknown[];
  try {
    values = text.trimStart().startsWith("[")
      ? JSON.parse(text)
      : text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
  } catch (e) {
    throw new TrainError("TRAIN_DATA", `${path}: not JSON or JSON Lines: ${(e as Error).message}`);
  }
  const first = recordFormatOf(values[0]);
  return values.map((v, i): TrainingExample => {
    const check = checkAnyRecord(v, i, i + 1);
    const e = check.errors[0] ??
      (check.format !== first
        ? { field: "(record)", message: `a ${check.format} record, but the first record is ${first}` }
        : undefined);
    if (e || !check.record) {
      throw new TrainError(
        "TRAIN_DATA",
        `${path}: record ${i}, field ${e?.field ?? "(record)"}: ${e?.message ?? "invalid"} ` +
          "(deno task validate-data lists every problem)",
      );
    }
    return check.record.format === "alpaca"
      ? { kind: "instruction", text: splitPromptResponse(check.record.record) }
      : { kind: "chat", messages: check.record.messages };
  });
}

function splitTail<T>(items: T[], fraction: number): [T[], T[]] {
  const n = Math.max(1, Math.floor(items.length * fraction));
  return [items.slice(0, items.length - n), items.slice(items.length - n)];
}

interface Setup {
  model: Gpt;
  tokenizer: Tokenizer;
  lora: LoraModel<Gpt> | null;
}

async function buildModel(
  config: TrainConfig,
  trainText: string | null,
  resumeDir: string | null,
): Promise<Setup> {
  if (config.base) {
    const { model, tokenizer } = await loadCheckpoint(config.base, { adapter: false });
    if (config.mode === "pretrain") return { model, tokenizer, lora: null };
    const lora = LoraModel.apply(model, {
      rank: config.lora.r,
      alpha: config.lora.alpha,
      dropout: config.lora.dropout,
      targetModules: config.lora.targetModules,
      baseModelNameOrPath: config.base,
    }, { seed: config.seed });
    return { model, tokenizer, lora };
  }
  let tokenizer: Tokenizer;
  if (resumeDir) {
    tokenizer = Tokenizer.fromJSON(JSON.parse(await readText(`${resumeDir}/tokenizer.json`, "tokenizer")));
  } else {
    const sample = config.tokenizer.trainChars > 0
      ? trainText!.slice(0, config.tokenizer.trainChars)
      : trainText!;
    tokenizer = Tokenizer.train(sample, { vocabSize: config.tokenizer.vocabSize });
  }
  const model = new Gpt({ ...config.model, vocabSize: tokenizer.vocabSize }, config.seed);
  return { model, tokenizer, lora: null };
}

async function buildData(
  config: TrainConfig,
  setup: Setup,
  trainText: string | null,
  seq: number,
  log: (line: string) => void,
): Promise<BatchSource> {
  const { tokenizer } = setup;
  if (config.mode === "pretrain") {
    const text = trainText!;
    let train: Int32Array, val: Int32Array;
    if (config.data.val) {
      train = Int32Array.from(tokenizer.encode(text));
      val = Int32Array.from(tokenizer.encode(await readText(config.data.val, "validation text")));
    } else {
      const all = Int32Array.from(tokenizer.encode(text));
      const cut = Math.floor(all.length * (1 - config.data.valFraction));
      train = all.subarray(0, cut);
      val = all.subarray(cut);
    }
    try {
      return new TextDataset(train, val, config.batchSize, seq, config.seed);
    } catch (e) {
      throw new TrainError("TRAIN_DATA", `${(e as Error).message} (use a longer text or a smaller --seqLen)`);
    }
  }
  let records = await readTrainingExamples(config.data.train);
  if (config.data.limit > 0) records = records.slice(0, config.data.limit);
  let valRecords: TrainingExample[];
  if (config.data.val) valRecords = await readTrainingExamples(config.data.val);
  else [records, valRecords] = splitTail(records, config.data.valFraction);
  // An example whose prompt fills the whole window has nothing to learn from: it is left out.
  const encode = (rs: TrainingExample[], what: string) => {
    const all = rs.map((r) =>
      r.kind === "instruction" ? encodeExample(tokenizer, r.text) : encodeChatExample(tokenizer, r.messages)
    );
    const kept = all.filter((e) => e.promptLength < seq);
    if (kept.length < all.length) {
      log(
        `${what}: ${
          all.length - kept.length
        } of ${all.length} prompts fill the ${seq}-token window; left out`,
      );
    }
    if (kept.length === 0) {
      throw new TrainError("TRAIN_DATA", `${what}: no example has response tokens within ${seq} tokens`);
    }
    return kept;
  };
  return new InstructionDataset(
    encode(records, "training"),
    encode(valRecords, "validation"),
    config.batchSize,
    seq,
    tokenizer.eosId,
    config.seed,
  );
}

/** Reads `metrics.jsonl` of a run folder (missing file = no records). */
export async function readMetrics(outDir: string): Promise<MetricRecord[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${outDir}/metrics.jsonl`);
  } catch {
    return [];
  }
  return text.split("\n").filter((l) => l.trim()).flatMap((l) => {
    try {
      return [JSON.parse(l) as MetricRecord];
    } catch {
      return [];
    }
  });
}

/** The loss chart of a run's metrics as SVG. */
export function metricsSvg(metrics: readonly MetricRecord[], title: string): string {
  return chartSvg([
    {
      label: "train",
      color: "#2563eb",
      points: metrics.filter((m) => m.type === "train").map((m) => [m.step, m.loss]),
    },
    {
      label: "val",
      color: "#dc2626",
      points: metrics.filter((m) => m.type === "val").map((m) => [m.step, m.loss]),
    },
  ], title);
}

async function saveResumeState(dir: string, step: number, setup: Setup, optimizer: AdamW): Promise<void> {
  const tmp = `${dir}.tmp`;
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
  await Deno.mkdir(tmp, { recursive: true });
  const state = await optimizer.state();
  await Deno.writeFile(
    `${tmp}/trainable.safetensors`,
    await encodeVariables(optimizer.params.map((p) => [p.name, p.variable]), "F32"),
  );
  const moments: Array<[string, Tensor]> = [];
  for (const p of optimizer.params) {
    moments.push([`m.${p.name}`, tf.tensor(state.m.get(p.name)!, p.variable.shape)]);
    moments.push([`v.${p.name}`, tf.tensor(state.v.get(p.name)!, p.variable.shape)]);
  }
  await Deno.writeFile(`${tmp}/optimizer.safetensors`, await encodeVariables(moments, "F32"));
  tf.dispose(moments.map(([, t]) => t));
  await Deno.writeTextFile(`${tmp}/tokenizer.json`, JSON.stringify(setup.tokenizer.toJSON()) + "\n");
  await Deno.writeTextFile(`${tmp}/state.json`, JSON.stringify({ step, optimizerStep: state.step }) + "\n");
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.rename(tmp, dir);
}

async function loadResumeState(dir: string, optimizer: AdamW): Promise<number> {
  const state = JSON.parse(await readText(`${dir}/state.json`, "resume state")) as {
    step: number;
    optimizerStep: number;
  };
  const weights = decodeSafetensors(await Deno.readFile(`${dir}/trainable.safetensors`)).tensors;
  const moments = decodeSafetensors(await Deno.readFile(`${dir}/optimizer.safetensors`)).tensors;
  const restored: AdamWState = { step: state.optimizerStep, m: new Map(), v: new Map() };
  for (const p of optimizer.params) {
    const w = weights.get(p.name), m = moments.get(`m.${p.name}`), v = moments.get(`v.${p.name}`);
    if (!w || !m || !v) throw new TrainError("TRAIN_RESUME", `checkpoint in ${dir} lacks "${p.name}"`);
    tf.tidy(() => p.variable.assign(tf.tensor(toFloat32(w), p.variable.shape)));
    restored.m.set(p.name, toFloat32(m));
    restored.v.set(p.name, toFloat32(v));
  }
  optimizer.restore(restored);
  return state.step;
}

/** Default run folder for a config: `out`, else `runs/<mode>-<UTC timestamp>`. */
export function runDirFor(config: TrainConfig, now = new Date()): string {
  return config.out ?? `runs/${config.mode}-${now.toISOString().replace(/[:.]/g, "-").replace(/Z$/, "")}`;
}

/**
 * Makes sure a new run may write `outDir`: a missing or empty folder is fine; a run folder (one with a
 * `config.json`) is replaced only with `overwrite`; any other non-empty folder is refused even then, so
 * `--overwrite` never deletes something that is not a run.
 */
async function claimRunDir(outDir: string, overwrite: boolean, log: (line: string) => void): Promise<void> {
  let entries: string[];
  try {
    entries = (await Array.fromAsync(Deno.readDir(outDir))).map((e) => e.name);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw e;
  }
  if (entries.length === 0) return;
  const isRun = entries.includes("config.json");
  if (!isRun) {
    throw new TrainError(
      "TRAIN_OUT_EXISTS",
      `--out ${outDir} is a non-empty folder that is not a training run; choose another --out`,
    );
  }
  if (!overwrite) {
    throw new TrainError(
      "TRAIN_OUT_EXISTS",
      `--out ${outDir} already holds a run: add --resume to continue it or --overwrite to replace it`,
    );
  }
  await Deno.remove(outDir, { recursive: true });
  log(`--overwrite: removed the previous run in ${outDir}`);
}

/** Runs (or resumes) training as configured and writes the run folder. */
export async function runTraining(config: TrainConfig, options: RunOptions = {}): Promise<RunResult> {
  const log = options.log ?? (() => {});
  await initBackend(config.backend);
  const outDir = runDirFor(config);
  const resumeDir = `${outDir}/${CHECKPOINT_DIR}`;
  if (!config.resume) await claimRunDir(outDir, config.overwrite, log);
  const resuming = config.resume && await exists(`${resumeDir}/state.json`);
  if (config.resume && !resuming) log(`no checkpoint in ${resumeDir}: starting from step 0`);
  await Deno.mkdir(outDir, { recursive: true });
  await Deno.writeTextFile(
    `${outDir}/config.json`,
    JSON.stringify({ ...config, resume: false, overwrite: false }, null, 2) + "\n",
  );

  let trainText: string | null = null;
  if (config.mode === "pretrain") {
    trainText = await readText(config.data.train, "training text");
    if (config.data.limit > 0) trainText = trainText.slice(0, config.data.limit);
  }
  const setup = await buildModel(config, trainText, resuming ? resumeDir : null);
  const { model, tokenizer } = setup;
  const seq = Math.min(config.seqLen ?? model.config.blockSize, model.config.blockSize);
  const data = await buildData(config, setup, trainText, seq, log);
  const valBatches = data.validation(config.evalBatches);
  const optimizer = new AdamW(
    model.namedParameters().filter(([, v]) => v.trainable).map(([name, variable]) => ({
      name,
      variable,
      decay: variable.rank >= 2,
    })),
    { beta1: config.beta1, beta2: config.beta2, weightDecay: config.weightDecay },
  );
  const { total, trainable } = model.parameterCount();
  log(
    `${config.mode}: ${total.toLocaleString("en-US")} parameters, ${
      trainable.toLocaleString("en-US")
    } trainable ` +
      `(${((100 * trainable) / total).toFixed(2)}%); vocab ${tokenizer.vocabSize}; seq ${seq}; ` +
      `batch ${config.batchSize}×${config.gradAccum}`,
  );

  let start = 0;
  let metrics: MetricRecord[] = [];
  if (resuming) {
    start = await loadResumeState(resumeDir, optimizer);
    metrics = (await readMetrics(outDir)).filter((m) => m.step <= start);
    log(`resumed from step ${start}`);
  }
  await Deno.writeTextFile(`${outDir}/metrics.jsonl`, metrics.map((m) => JSON.stringify(m) + "\n").join(""));
  const append = (m: MetricRecord) => {
    metrics.push(m);
    return Deno.writeTextFile(`${outDir}/metrics.jsonl`, JSON.stringify(m) + "\n", { append: true });
  };
  const schedule = {
    lr: config.lr,
    minLr: config.minLr,
    warmupSteps: config.warmupSteps,
    decaySteps: config.steps,
  };
  const losses: number[] = [];
  let lastVal = [...metrics].reverse().find((m) => m.type === "val")?.loss;
  let stopped = false;
  let timedOut = false;
  let step = start;
  let tokens = 0;
  const t0 = performance.now();
  let trainMs = 0;
  try {
    while (step < config.steps) {
      const s0 = performance.now();
      const micro = Array.from({ length: config.gradAccum }, (_, m) => data.batch(step, m));
      const lr = learningRate(step, schedule);
      const r = await trainStep(model, optimizer, micro, lr, config.clip, config.seed * 1000 + step * 16);
      step++;
      const dt = performance.now() - s0;
      trainMs += dt;
      tokens += r.tokens;
      losses.push(r.loss);
      const tokensPerSec = tokens / (trainMs / 1000);
      await append({
        type: "train",
        step,
        loss: r.loss,
        lr,
        gradNorm: r.gradNorm,
        tokens: r.tokens,
        tokensPerSec: r.tokens / (dt / 1000),
        elapsedSec: (performance.now() - t0) / 1000,
      });
      if (step % config.evalEvery === 0 || step === config.steps) {
        lastVal = await evaluate(model, valBatches);
        await append({ type: "val", step, loss: lastVal });
      }
      options.onProgress?.({
        step,
        steps: config.steps,
        loss: r.loss,
        valLoss: lastVal,
        tokensPerSec,
        etaSec: ((config.steps - step) * trainMs) / (step - start) / 1000,
      });
      // Let signal handlers (Ctrl+C) run between updates.
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (options.signal?.aborted && step < config.steps) {
        stopped = true;
        break;
      }
      if (
        config.maxSeconds > 0 && (performance.now() - t0) / 1000 >= config.maxSeconds && step < config.steps
      ) {
        timedOut = true;
        log(`time budget of ${config.maxSeconds} s used up at step ${step}: finishing here`);
        if (step % config.evalEvery !== 0) {
          lastVal = await evaluate(model, valBatches);
          await append({ type: "val", step, loss: lastVal });
        }
        break;
      }
      if (step % config.saveEvery === 0 && step < config.steps) {
        await saveResumeState(resumeDir, step, setup, optimizer);
      }
    }
    await saveResumeState(resumeDir, step, setup, optimizer);
    await Deno.writeTextFile(`${outDir}/loss.svg`, metricsSvg(metrics, `${config.mode} loss (${outDir})`));
    if (stopped) log(`stopped at step ${step}; resume with --resume --out ${outDir}`);
    else await saveResult(config, outDir, setup, log);
  } finally {
    optimizer.dispose();
    model.dispose();
  }
  return {
    outDir,
    step,
    stopped,
    timedOut,
    losses,
    lastValLoss: lastVal,
    tokensPerSec: trainMs > 0 ? tokens / (trainMs / 1000) : 0,
    trainable,
    total,
  };
}

async function saveResult(
  config: TrainConfig,
  outDir: string,
  setup: Setup,
  log: (l: string) => void,
): Promise<void> {
  const { model, tokenizer, lora } = setup;
  if (!lora) {
    await saveCheckpoint(`${outDir}/model`, model, tokenizer, config.dtype);
    log(`model saved to ${outDir}/model (${config.dtype})`);
    return;
  }
  await lora.save(`${outDir}/adapter`);
  log(`PEFT adapter saved to ${outDir}/adapter`);
  if (config.saveMerged) {
    lora.mergeAndUnload();
    await saveCheckpoint(`${outDir}/merged`, model, tokenizer, config.dtype);
    log(`merged weights saved to ${outDir}/merged (${config.dtype})`);
  }
}
