/**
 * `/training`: the runs found in the runs folder (`RUNS_DIR`, default `runs/`), each with its options
 * and its train/validation loss curves, rendered on the server (no JavaScript). Below them, the runs
 * that produced the bundled local model, committed next to it in `<LOCAL_MODEL_DIR>/runs/`, so a fresh
 * clone (whose `runs/` is empty) still shows how its model was trained.
 */
import LossChart from "../components/LossChart.tsx";
import { bundledRunsDir, listRuns, type RunSummary } from "../ml/runs.ts";
import type { AppState } from "../lib/services.ts";
import type { Handlers, PageProps } from "../lib/web/types.ts";

interface Data {
  dir: string;
  runs: RunSummary[];
  /** Where the bundled model's runs are (`<LOCAL_MODEL_DIR>/runs`). */
  bundledDir: string;
  /** The bundled model's runs, in training order; empty when RUNS_DIR is that same folder. */
  bundled: RunSummary[];
}

export const handler: Handlers<AppState, Data> = {
  async GET(_req, ctx) {
    const { runsDir, localModelDir } = ctx.state.services.config;
    const bundledDir = bundledRunsDir(localModelDir);
    const [runs, bundled] = await Promise.all([
      listRuns(runsDir),
      (await sameFolder(runsDir, bundledDir)) ? [] : listRuns(bundledDir),
    ]);
    bundled.sort((a, b) => a.name.localeCompare(b.name));
    return ctx.render({ dir: runsDir, runs, bundledDir, bundled });
  },
};

async function sameFolder(a: string, b: string): Promise<boolean> {
  try {
    return (await Deno.realPath(a)) === (await Deno.realPath(b));
  } catch {
    return false;
  }
}

const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(4));

/** Perplexity and per-token loss of each `deno task eval` of the run. */
function EvalTable({ run }: { run: RunSummary }) {
  return (
    <div class="table-scroll" role="region" aria-label={`Evaluations of ${run.name}`} tabIndex={0}>
      <table class="evals">
        <caption>Evaluations (deno task eval)</caption>
        <thead>
          <tr>
            <th scope="col">data</th>
            <th scope="col">tokens</th>
            <th scope="col">loss (nats/token)</th>
            <th scope="col">perplexity</th>
            <th scope="col">per-token loss p50 / p90 / max</th>
          </tr>
        </thead>
        <tbody>
          {run.evals.map((e) => (
            <tr key={e.data}>
              <td>{e.data.split("/").at(-1)} ({e.kind})</td>
              <td>{e.tokens}</td>
              <td>{fmt(e.loss)}</td>
              <td>{e.perplexity.toFixed(3)}</td>
              <td>{fmt(e.perToken.p50)} / {fmt(e.perToken.p90)} / {fmt(e.perToken.max)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RunCard({ run, bundled = false }: { run: RunSummary; bundled?: boolean }) {
  const train = run.metrics.filter((m) => m.type === "train").map((m): [number, number] => [m.step, m.loss]);
  const val = run.metrics.filter((m) => m.type === "val").map((m): [number, number] => [m.step, m.loss]);
  // The bundled runs sit under their own section heading.
  const Heading = bundled ? "h3" : "h2";
  return (
    <section class="run" id={`${bundled ? "bundled-" : ""}run-${run.name}`}>
      <Heading>
        {run.name}
        {bundled && (
          <>
            {" "}
            <span class="run-badge">bundled model</span>
          </>
        )}
      </Heading>
      <p class="run-summary">
        {String(run.config.mode ?? "?")} · step {run.lastStep}/{String(run.config.steps ?? "?")} · train loss
        {" "}
        {fmt(run.lastTrainLoss)} · val loss {fmt(run.lastValLoss)}
        {run.outputs.length > 0 ? ` · outputs: ${run.outputs.join(", ")}` : ""}
      </p>
      {train.length > 0
        ? (
          <LossChart
            title={`${run.name}: loss by step`}
            series={[
              { label: "train", color: "#2563eb", points: train },
              { label: "val", color: "#dc2626", points: val },
            ]}
          />
        )
        : <p>No metrics yet.</p>}
      {run.evals.length > 0 && <EvalTable run={run} />}
      <details class="run-config">
        <summary>config</summary>
        <pre tabIndex={0}>{JSON.stringify(run.config, null, 2)}</pre>
      </details>
    </section>
  );
}

export default function Training({ data }: PageProps<Data, AppState>) {
  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href="/">Mini-Claude</a>
        <span class="topbar-sep" aria-hidden="true">/</span>
        <span class="topbar-page">Training</span>
        <a class="button back-to-chat" href="/">Back to chat</a>
      </header>
      <main class="training">
        <h1>Training runs</h1>
        {data.runs.length === 0
          ? (
            <p>
              No runs in <code>{data.dir}/</code> yet. Start one with <code>deno task train</code>{" "}
              (see docs/training.md).
            </p>
          )
          : data.runs.map((run) => <RunCard key={run.name} run={run} />)}
        {data.bundled.length > 0 && (
          <section class="bundled-runs" aria-labelledby="bundled-runs-title">
            <h2 id="bundled-runs-title" class="bundled-runs-title">The bundled local model</h2>
            <p class="bundled-runs-note">
              The runs that produced the tiny model committed in{" "}
              <code>{data.bundledDir.replace(/\/runs$/, "")}/</code>: pretraining, then an instruction adapter
              (LoRA). Their records are committed in <code>{data.bundledDir}/</code>.
            </p>
            {data.bundled.map((run) => <RunCard key={run.name} run={run} bundled />)}
          </section>
        )}
      </main>
    </div>
  );
}
