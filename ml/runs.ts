/**
 * The runs folder (`runs/` by default): each subfolder written by `deno task train` holds a
 * `config.json` and a `metrics.jsonl`. This lists them for the `/training` page.
 */
import { type EvalResult, readEvals } from "./eval.ts";
import { type MetricRecord, readMetrics } from "./train.ts";

/** One run as found on disk. */
export interface RunSummary {
  name: string;
  /** The run's saved options (as written; not re-validated). */
  config: Record<string, unknown>;
  metrics: MetricRecord[];
  /** Last training step recorded. */
  lastStep: number;
  lastTrainLoss?: number;
  lastValLoss?: number;
  /** What the run produced: `model`, `adapter`, `merged`, `checkpoint`. */
  outputs: string[];
  /** Evaluations recorded by `deno task eval` (`eval.json`), in the order they were made. */
  evals: EvalResult[];
  modified: Date | null;
}

/**
 * Where the records of the runs that produced a checkpoint are kept: `<checkpoint>/runs` (for the
 * committed model, `models/local/runs/{base,lora}` with `config.json`, `metrics.jsonl`, `loss.svg` and
 * `eval.json`, but not the weights, which are the checkpoint itself).
 */
export function bundledRunsDir(checkpointDir: string): string {
  return `${checkpointDir.replace(/\/+$/, "")}/runs`;
}

/** Lists the runs in `dir`, newest first; a missing folder has none. */
export async function listRuns(dir: string): Promise<RunSummary[]> {
  const out: RunSummary[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch {
    return [];
  }
  for (const e of entries) {
    if (!e.isDirectory) continue;
    const path = `${dir}/${e.name}`;
    let config: Record<string, unknown>;
    try {
      config = JSON.parse(await Deno.readTextFile(`${path}/config.json`));
    } catch {
      continue;
    }
    const metrics = await readMetrics(path);
    const train = metrics.filter((m) => m.type === "train");
    const val = metrics.filter((m) => m.type === "val");
    const outputs: string[] = [];
    for (const o of ["model", "adapter", "merged", "checkpoint"]) {
      try {
        if ((await Deno.stat(`${path}/${o}`)).isDirectory) outputs.push(o);
      } catch {
        // not produced
      }
    }
    const modified = (await Deno.stat(`${path}/config.json`)).mtime;
    out.push({
      name: e.name,
      config,
      metrics,
      lastStep: train.at(-1)?.step ?? 0,
      lastTrainLoss: train.at(-1)?.loss,
      lastValLoss: val.at(-1)?.loss,
      outputs,
      evals: await readEvals(path),
      modified,
    });
  }
  return out.sort((a, b) =>
    (b.modified?.getTime() ?? 0) - (a.modified?.getTime() ?? 0) || a.name.localeCompare(b.name)
  );
}
