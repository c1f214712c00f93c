/**
 * Record-format benchmark: the same generated records as Alpaca, ShareGPT and OpenAI messages, validated
 * by `validateFile` (schema, quality metrics, near-duplicate pass) in interleaved trials, and encoded for
 * training (Alpaca prompt/response vs the ChatML template). Ratios are against Alpaca, measured in this
 * run. `FORMATS_BENCH_RECORDS` overrides the record count (default 20,000).
 */
import process from "node:process";
import { splitPromptResponse } from "../ml/data/templates.ts";
import { syntheticRecords } from "../ml/data/synthetic.ts";
import { validateFile } from "../ml/data/validate.ts";
import { encodeChatExample, encodeExample } from "../ml/dataset.ts";
import { Tokenizer } from "../ml/tokenizer.ts";
import type { ChatMessage } from "../ml/data/chat.ts";

const RECORDS = Number(Deno.env.get("FORMATS_BENCH_RECORDS") ?? 20_000);
const TRIALS = 3;
const dir = await Deno.makeTempDir({ prefix: "formats-bench-" });

const records = [...syntheticRecords({ records: RECORDS, seed: 5, outputChars: 400 })].map((r) => r.record);
const turns = (r: (typeof records)[number]): ChatMessage[] => [
  { role: "user", content: r.input === "" ? r.instruction : `${r.instruction}\n\n${r.input}` },
  { role: "assistant", content: r.output },
];
const files = {
  alpaca: records.map((r) => JSON.stringify(r)),
  sharegpt: records.map((r) =>
    JSON.stringify({
      conversations: turns(r).map((m) => ({ from: m.role === "user" ? "human" : "gpt", value: m.content })),
    })
  ),
  openai: records.map((r) => JSON.stringify({ messages: turns(r) })),
};
const bytes: Record<string, number> = {};
for (const [name, lines] of Object.entries(files)) {
  const text = lines.join("\n") + "\n";
  bytes[name] = new TextEncoder().encode(text).length;
  await Deno.writeTextFile(`${dir}/${name}.jsonl`, text);
}

const best: Record<string, number> = { alpaca: Infinity, sharegpt: Infinity, openai: Infinity };
const bestCpu: Record<string, number> = { alpaca: Infinity, sharegpt: Infinity, openai: Infinity };
for (let t = 0; t < TRIALS; t++) {
  for (const name of Object.keys(files)) {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const report = await validateFile(`${dir}/${name}.jsonl`);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    bestCpu[name] = Math.min(bestCpu[name], (cpu.user + cpu.system) / 1000);
    if (!report.ok || report.records.valid !== RECORDS) {
      throw new Error(`${name}: ${report.records.valid} valid`);
    }
    best[name] = Math.min(best[name], ms);
  }
}

const tok = Tokenizer.train(records.slice(0, 500).map((r) => r.output).join("\n"), { vocabSize: 512 });
const encodeBest: Record<string, number> = { alpaca: Infinity, chatml: Infinity };
const sample = records.slice(0, 2000);
for (let t = 0; t < TRIALS; t++) {
  let t0 = performance.now();
  for (const r of sample) encodeExample(tok, splitPromptResponse(r));
  encodeBest.alpaca = Math.min(encodeBest.alpaca, performance.now() - t0);
  t0 = performance.now();
  for (const r of sample) encodeChatExample(tok, turns(r));
  encodeBest.chatml = Math.min(encodeBest.chatml, performance.now() - t0);
}
await Deno.remove(dir, { recursive: true });

console.log(
  `validateFile on ${
    RECORDS.toLocaleString("en-US")
  } records, JSON Lines, best of ${TRIALS} interleaved trials:\n`,
);
console.log("| format | size MB | wall ms | CPU ms | records/s (wall) | wall / Alpaca | CPU / Alpaca |");
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const name of Object.keys(files)) {
  console.log(
    `| ${name} | ${(bytes[name] / 1e6).toFixed(1)} | ${best[name].toFixed(0)} | ${
      bestCpu[name].toFixed(0)
    } | ${Math.round(RECORDS / (best[name] / 1000)).toLocaleString("en-US")} | ${
      (best[name] / best.alpaca).toFixed(2)
    } | ${(bestCpu[name] / bestCpu.alpaca).toFixed(2)} |`,
  );
}
console.log(`\nEncoding ${sample.length} examples for training (BPE vocabulary 512), best of ${TRIALS}:\n`);
console.log("| template | ms | ms / Alpaca ms |");
console.log("| --- | --- | --- |");
console.log(`| Alpaca prompt + response | ${encodeBest.alpaca.toFixed(0)} | 1.00 |`);
console.log(
  `| ChatML, per-segment masks | ${encodeBest.chatml.toFixed(0)} | ${
    (encodeBest.chatml / encodeBest.alpaca).toFixed(2)
  } |`,
);
