/**
 * `deno task lora-report [--fraction F] [--budget-gib G]`: LoRA parameter and memory tables for BERT and
 * GPT-2, computed from their exact shapes by ml/efficiency.ts, printed as Markdown. Unknown flags and
 * out-of-range values exit 2 with the usage; `--help` prints the usage.
 */
import { CodedError } from "../ml/errors.ts";
import {
  type Architecture,
  ARCHITECTURES,
  fmtBytes,
  fullFineTuneMemory,
  loraMatrixParameters,
  loraMemory,
  loraParameters,
  loraReduction,
  perLayerRanks,
  type Precision,
  rankForFraction,
  rankForMemory,
  recommendations,
  targetLinears,
  type TargetPreset,
  totalParameters,
} from "../ml/efficiency.ts";

/** Usage of the task. */
export const USAGE = `usage: deno task lora-report [--fraction F] [--budget-gib G]
  --fraction F     trainable fraction to pick ranks for, in (0, 1) (default: a table of 0.001, 0.005, 0.01,
                   0.05; the per-layer rank_pattern uses 0.01)
  --budget-gib G   training-memory budget in GiB, > 0 (default: a table of 0.5, 1, 2, 4)
  --help           this text`;

/** Options of the report. */
export interface ReportOptions {
  fraction?: number;
  budgetGib?: number;
}

/** A bad command line; the message names the flag. */
export class ReportArgsError extends CodedError<"LORA_REPORT_ARGS"> {
  /** A bad command line; `message` says which argument. */
  constructor(message: string) {
    super("LORA_REPORT_ARGS", message);
    this.name = "ReportArgsError";
  }
}

/** Parses `--fraction F`, `--budget-gib G` (also `--flag=value`); `help` when `--help`/`-h` is given. */
export function parseReportArgs(args: readonly string[]): ReportOptions | "help" {
  if (args.includes("--help") || args.includes("-h")) return "help";
  const options: ReportOptions = {};
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].includes("=") ? args[i].split(/=(.*)/s, 2) : [args[i], undefined];
    if (flag !== "--fraction" && flag !== "--budget-gib") {
      throw new ReportArgsError(`unknown argument ${args[i]}`);
    }
    const raw = inline ?? args[++i];
    if (raw === undefined || raw === "") throw new ReportArgsError(`${flag} needs a value`);
    const v = Number(raw);
    if (flag === "--fraction") {
      if (!(Number.isFinite(v) && v > 0 && v < 1)) {
        throw new ReportArgsError(`--fraction must be a number in (0, 1), not ${raw}`);
      }
      options.fraction = v;
    } else {
      if (!(Number.isFinite(v) && v > 0 && v <= 1e6)) {
        throw new ReportArgsError(`--budget-gib must be a number of GiB in (0, 1e6], not ${raw}`);
      }
      options.budgetGib = v;
    }
  }
  return options;
}

/** The whole report as Markdown. */
export function loraReport(options: ReportOptions = {}): string {
  const fractionArg = options.fraction;
  const budgetArg = options.budgetGib;
  const archs = Object.values(ARCHITECTURES);
  const presets: TargetPreset[] = ["qv", "attention", "all-linear"];
  const presetLabel = (a: Architecture, p: TargetPreset) =>
    `${p} (${targetLinears(a, p).map((l) => l.name).join(", ")})`;
  const n = (x: number) => x.toLocaleString("en-US");
  const pct = (x: number) => `${(100 * x).toFixed(3)}%`;

  function table(header: string[], rows: Array<Array<string | number>>): string {
    const line = (cells: Array<string | number>) => `| ${cells.join(" | ")} |`;
    return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
  }

  const out: string[] = [];
  out.push("# LoRA efficiency report\n");
  out.push("All numbers are computed from the architectures' exact shapes (ml/efficiency.ts).\n");

  out.push("## Architectures\n");
  out.push(table(
    ["model", "layers", "hidden", "MLP", "vocab", "positions", "parameters"],
    archs.map((
      a,
    ) => [a.name, a.layers, a.hidden, a.intermediate, n(a.vocab), a.positions, n(totalParameters(a))]),
  ));

  out.push("\n## One adapted matrix at r = 8: r·(d+k) parameters\n");
  out.push(table(
    ["model", "module", "d × k", "full d·k", "LoRA r(d+k)", "reduction"],
    archs.flatMap((a) =>
      a.linears.map((l) => [
        a.name,
        l.name,
        `${l.inFeatures} × ${l.outFeatures}`,
        n(l.inFeatures * l.outFeatures),
        n(loraMatrixParameters(l.inFeatures, l.outFeatures, 8)),
        pct(loraReduction(l.inFeatures, l.outFeatures, 8)),
      ])
    ),
  ));

  const ranks = [1, 2, 4, 8, 16, 64];
  out.push("\n## Trainable parameters (and share of all parameters) by targets and rank\n");
  out.push(table(
    ["model", "targets", ...ranks.map((r) => `r=${r}`)],
    archs.flatMap((a) =>
      presets.map((p) => [
        a.name,
        presetLabel(a, p),
        ...ranks.map((r) => {
          const t = loraParameters(a, p, r);
          return `${n(t)} (${pct(t / (totalParameters(a) + t))})`;
        }),
      ])
    ),
  ));

  out.push("\n## Training memory: weights + gradients + Adam moments (activations excluded)\n");
  out.push(
    "Every tensor in the stated precision; LoRA keeps the frozen base weights and trains only the adapters.\n",
  );
  const precisions: Precision[] = ["fp32", "bf16"];
  out.push(table(
    ["model", "precision", "full fine-tuning", "LoRA q,v r=8", "LoRA all-linear r=8", "full / LoRA q,v"],
    archs.flatMap((a) =>
      precisions.map((pr) => {
        const full = fullFineTuneMemory(a, pr);
        const qv = loraMemory(a, "qv", 8, pr);
        const all = loraMemory(a, "all-linear", 8, pr);
        return [
          a.name,
          pr,
          fmtBytes(full.total),
          fmtBytes(qv.total),
          fmtBytes(all.total),
          `${(full.total / qv.total).toFixed(2)}x`,
        ];
      })
    ),
  ));

  const fractions = fractionArg ? [fractionArg] : [0.001, 0.005, 0.01, 0.05];
  out.push("\n## Rank for a target trainable fraction (largest uniform r)\n");
  out.push(table(
    ["model", "targets", ...fractions.map((f) => `≤ ${pct(f)}`)],
    archs.flatMap((a) =>
      presets.map((p) => [
        a.name,
        p,
        ...fractions.map((f) => {
          const s = rankForFraction(a, p, f);
          return s.rank === null ? "unreachable" : `r=${s.rank} (${pct(s.fraction)})`;
        }),
      ])
    ),
  ));

  const budgets = budgetArg ? [budgetArg] : [0.5, 1, 2, 4];
  out.push("\n## Rank for a memory budget (bf16, weights + gradients + Adam)\n");
  out.push(table(
    ["model", "targets", ...budgets.map((g) => `${g} GiB`)],
    archs.flatMap((a) =>
      (["qv", "all-linear"] as const).map((p) => [
        a.name,
        p,
        ...budgets.map((g) => {
          const s = rankForMemory(a, p, g * 1024 ** 3, "bf16");
          return s.rank === null ? "base does not fit" : `r=${s.rank}`;
        }),
      ])
    ),
  ));

  const perLayerFraction = fractionArg ?? 0.01;
  out.push(
    `\n## Per-layer ranks: each matrix's adapter ≤ ${
      pct(perLayerFraction)
    } of that matrix (PEFT rank_pattern)\n`,
  );
  out.push(table(
    ["model", "rank_pattern (all-linear)", "trainable"],
    archs.map((a) => {
      const pattern = perLayerRanks(a, "all-linear", perLayerFraction);
      const t = loraParameters(a, "all-linear", pattern);
      return [a.name, `\`${JSON.stringify(pattern)}\``, `${n(t)} (${pct(t / (totalParameters(a) + t))})`];
    }),
  ));

  out.push("\n## Recommendations\n");
  for (const a of archs) for (const r of recommendations(a)) out.push(`- ${r}`);

  return out.join("\n");
}

if (import.meta.main) {
  try {
    const parsed = parseReportArgs(Deno.args);
    console.log(parsed === "help" ? USAGE : loraReport(parsed));
  } catch (e) {
    if (!(e instanceof ReportArgsError)) throw e;
    console.error(`lora-report: ${e.message}\n${USAGE}`);
    Deno.exit(2);
  }
}
