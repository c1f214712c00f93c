/**
 * Data benchmark: validating a generated 50,000-record Alpaca file (JSONL and JSON array), peak memory
 * against loading the same file whole, and the near-duplicate pass against brute force.
 * `DATA_BENCH_RECORDS` overrides the record count while developing. Re-runs itself with `--expose-gc`
 * so live-heap peaks can be sampled after forced collections.
 */
import process from "node:process";
import { findNearDuplicates } from "../ml/data/near_duplicates.ts";
import { rougeLTokens, rougeTokens } from "../ml/data/rouge.ts";
import { syntheticRecords, writeSyntheticAlpaca } from "../ml/data/synthetic.ts";
import { countGpt2Tokens } from "../ml/data/tokens.ts";
import { validateFile } from "../ml/data/validate.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--expose-gc", new URL(import.meta.url).pathname, ...Deno.args],
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  Deno.exit((await child.status).code);
}
const collect = gc!;
const RECORDS = Number(Deno.env.get("DATA_BENCH_RECORDS") ?? 50_000);
const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
const dir = await Deno.makeTempDir({ prefix: "data-bench-" });

interface Run {
  ms: number;
  cpuMs: number;
  peakRss: number;
  rssBefore: number;
  peakLive: number;
  base: number;
}

/** Validates once for speed (RSS sampled), once with forced GCs to sample the live heap. */
async function measureValidate(path: string): Promise<Run & { nearMs: number; nearDups: number }> {
  collect();
  const base = Deno.memoryUsage().heapUsed;
  const rssBefore = Deno.memoryUsage().rss;
  let peakRss = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const report = await validateFile(path, {
    onProgress: () => peakRss = Math.max(peakRss, Deno.memoryUsage().rss),
  });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  collect();
  let peakLive = 0;
  let chunks = 0;
  await validateFile(path, {
    onProgress: () => {
      if (++chunks % 16 === 0) {
        collect();
        peakLive = Math.max(peakLive, Deno.memoryUsage().heapUsed);
      }
    },
  });
  return {
    ms,
    cpuMs,
    peakRss,
    rssBefore,
    peakLive,
    base,
    nearMs: report.quality.nearDuplicatePass.ms,
    nearDups: report.quality.metrics.nearDuplicateInstruction.count,
  };
}

/** The naive way: read the whole file, parse every line, keep the records. */
function measureWholeFileLoad(path: string): { ms: number; peakLive: number; base: number } {
  collect();
  const base = Deno.memoryUsage().heapUsed;
  const t0 = performance.now();
  const text = Deno.readTextFileSync(path);
  const records = text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
  const ms = performance.now() - t0;
  collect();
  const peakLive = Deno.memoryUsage().heapUsed;
  if (records.length === 0 || text.length === 0) throw new Error("empty");
  return { ms, peakLive, base };
}

try {
  countGpt2Tokens("warm up the encoder");
  const jsonl = `${dir}/bench.jsonl`;
  const json = `${dir}/bench.json`;
  const genOpts = { records: RECORDS, nearDuplicateEvery: 1000, seed: 11 };
  const { bytes, planted } = await writeSyntheticAlpaca(jsonl, genOpts);
  const { bytes: jsonBytes } = await writeSyntheticAlpaca(json, { ...genOpts, format: "json" });

  const warm = `${dir}/warm.jsonl`;
  await writeSyntheticAlpaca(warm, { records: 3000, seed: 99 });
  await validateFile(warm); // JIT warm-up so the first measured format is not penalized
  const a = await measureValidate(jsonl);
  const b = await measureValidate(json);
  const naive = measureWholeFileLoad(jsonl);

  console.log(`### Validating ${RECORDS.toLocaleString("en-US")} generated records\n`);
  console.log(
    "| file | size MB | wall s | CPU s | records/s (wall) | RSS before → peak MB | live-heap growth MB | near-dup pass ms |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const [name, size, r] of [["JSON Lines", bytes, a], ["JSON array", jsonBytes, b]] as const) {
    console.log(
      `| ${name} | ${mb(size)} | ${(r.ms / 1000).toFixed(2)} | ${(r.cpuMs / 1000).toFixed(2)} | ` +
        `${Math.round(RECORDS / (r.ms / 1000))} | ` +
        `${mb(r.rssBefore)} → ${mb(r.peakRss)} | ${mb(r.peakLive - r.base)} | ${r.nearMs} |`,
    );
  }
  console.log(
    `\nNear-duplicates found: ${a.nearDups} (planted: ${planted.length}). Loading the same JSONL whole ` +
      `(read + parse, the non-streaming way) grows the live heap by ${mb(naive.peakLive - naive.base)} MB, ` +
      `${((naive.peakLive - naive.base) / Math.max(1, a.peakLive - a.base)).toFixed(1)}× the streaming ` +
      `validator's peak growth.\n`,
  );

  const sample: string[] = [];
  for (
    const { record } of syntheticRecords({ records: 1500, nearDuplicateEvery: 100, seed: 5, outputChars: 1 })
  ) {
    sample.push(record.instruction);
  }
  let t0 = performance.now();
  const fast = findNearDuplicates(sample);
  const fastMs = performance.now() - t0;
  t0 = performance.now();
  let brute = 0;
  const tokens = sample.map(rougeTokens);
  for (let i = 0; i < sample.length; i++) {
    for (let j = 0; j < i; j++) {
      if (rougeLTokens(tokens[j], tokens[i]).fmeasure > 0.7) {
        brute++;
        break;
      }
    }
  }
  const bruteMs = performance.now() - t0;
  console.log("### Near-duplicate pass (ROUGE-L > 0.7) on 1,500 instructions (both tokenized once)\n");
  console.log("| method | ms | flagged | exact LCS computations |");
  console.log("| --- | --- | --- | --- |");
  console.log(
    `| all pairs (brute force) | ${bruteMs.toFixed(0)} | ${brute} | ${
      (sample.length * (sample.length - 1)) / 2
    } (at most) |`,
  );
  console.log(
    `| prefix-filtered | ${fastMs.toFixed(0)} | ${fast.duplicates.length} | ${fast.stats.lcsComputed} |`,
  );
  console.log(
    `\nSpeed-up: ${(bruteMs / fastMs).toFixed(0)}×, same flagged set: ${brute === fast.duplicates.length}.`,
  );
} finally {
  await Deno.remove(dir, { recursive: true });
}
