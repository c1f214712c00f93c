/**
 * `deno task lora-report [--fraction F] [--budget-gib G]`: LoRA parameter and memory tables for BERT and
 * GPT-2, computed from their exact shapes by ml/efficiency.ts, printed as Markdown.
 */
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

function flag(name: string): number | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = Number(Deno.args[i + 1]);
  if (!Number.isFinite(v) || v <= 0) {
    console.error(`--${name} needs a positive number`);
    Deno.exit(2);
  }
  return v;
}

const fractionArg = flag("fraction");
const budgetArg = flag("budget-gib");
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

console.log(out.join("\n"));
