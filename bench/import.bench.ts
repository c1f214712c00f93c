/**
 * Import throughput and memory: a synthetic ChatGPT `conversations.json` of ~100 MB (one line, as
 * ChatGPT writes it; generated here, never committed) imported through the same `importFile` call
 * `POST /api/import` makes after spooling the upload, into PGlite and into PostgreSQL. Reports MB/s
 * and the process's peak RSS and peak JS heap above the idle baseline, sampled every 20 ms. PGlite
 * runs inside the process, so its RSS includes the database; the PostgreSQL row shows the
 * importer's own footprint. `deno task bench import` (`IMPORT_BENCH_MB=N` to change the size).
 */
import type { Database } from "../lib/db/mod.ts";
import { sniffShape } from "../lib/transfer/import/read.ts";
import { importFile, type ImportReport } from "../lib/transfer/import/run.ts";
import { mulberry32 } from "../ml/random.ts";
import { BenchDatabases } from "./_lib/databases.ts";

const TARGET_MB = Number(Deno.env.get("IMPORT_BENCH_MB") ?? 100);

const WORDS =
  "the a to of and in is it you that for on with as this are be can or your have not by from at but an"
    .split(" ").concat(
      "python function error deploy server garden recipe travel budget lesson vector matrix".split(" "),
    );

/** One ChatGPT conversation: a hidden system root, 10 turns, one regenerated reply (a branch). */
function conversation(i: number, random: () => number): Record<string, unknown> {
  const text = (n: number) =>
    Array.from({ length: n }, () => WORDS[Math.floor(random() * WORDS.length)]).join(" ");
  const t0 = 1_700_000_000 + i * 60;
  const mapping: Record<string, unknown> = {};
  const node = (id: string, parent: string | null, message: unknown) => {
    mapping[id] = { id, message, parent, children: [] };
    if (parent) (mapping[parent] as { children: string[] }).children.push(id);
  };
  const msg = (id: string, role: string, t: number, body: string, extra: Record<string, unknown> = {}) => ({
    id,
    author: { role, name: null, metadata: {} },
    create_time: t,
    update_time: null,
    content: { content_type: "text", parts: [body] },
    status: "finished_successfully",
    end_turn: true,
    weight: 1,
    metadata: {},
    recipient: "all",
    ...extra,
  });
  node("root", null, null);
  node("sys", "root", msg("sys", "system", t0, "", { weight: 0 }));
  let parent = "sys";
  for (let turn = 0; turn < 5; turn++) {
    const u = `u${turn}`;
    node(u, parent, msg(u, "user", t0 + turn * 2, text(20)));
    const a = `a${turn}`;
    node(a, u, msg(a, "assistant", t0 + turn * 2 + 1, text(90)));
    if (turn === 2) node(`a${turn}b`, u, msg(`a${turn}b`, "assistant", t0 + turn * 2 + 1.5, text(90)));
    parent = a;
  }
  return {
    title: `Synthetic ${i}`,
    create_time: t0,
    update_time: t0 + 10,
    mapping,
    current_node: parent,
    conversation_id: `bench-${i}`,
    id: `bench-${i}`,
    is_archived: false,
  };
}

/** Writes the export to a temporary file; returns its path, size and conversation count. */
async function generate(): Promise<{ path: string; bytes: number; conversations: number }> {
  const path = await Deno.makeTempFile({ prefix: "mini-claude-import-bench-", suffix: ".json" });
  const file = await Deno.open(path, { write: true });
  const writer = file.writable.getWriter();
  const encoder = new TextEncoder();
  const random = mulberry32(7);
  let bytes = 0;
  let n = 0;
  await writer.write(encoder.encode("["));
  while (bytes < TARGET_MB * 1_000_000) {
    const piece = encoder.encode((n === 0 ? "" : ",") + JSON.stringify(conversation(n, random)));
    await writer.write(piece);
    bytes += piece.byteLength;
    n++;
  }
  await writer.write(encoder.encode("]"));
  await writer.close();
  return { path, bytes: bytes + 2, conversations: n };
}

interface Row {
  engine: string;
  seconds: number;
  report: ImportReport;
  peakRssMb: number;
  peakHeapMb: number;
}

async function measure(engine: string, db: Database, path: string): Promise<Row> {
  (globalThis as { gc?: () => void }).gc?.();
  const base = Deno.memoryUsage();
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  const timer = setInterval(() => {
    const m = Deno.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 20);
  const head = new Uint8Array(64);
  const probe = await Deno.open(path);
  await probe.read(head);
  probe.close();
  const file = await Deno.open(path);
  const t0 = performance.now();
  const report = await importFile(db, `bench-import-${engine}`, file.readable, sniffShape(head));
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  return {
    engine,
    seconds,
    report,
    peakRssMb: (peakRss - base.rss) / 1_048_576,
    peakHeapMb: (peakHeap - base.heapUsed) / 1_048_576,
  };
}

const generated = await generate();
const rows: Row[] = [];
const databases = new BenchDatabases();
databases.onClose(() => Deno.remove(generated.path));
try {
  const pg = await databases.postgres();
  if (pg !== null) rows.push(await measure("PostgreSQL", pg.db, generated.path));
  const embedded = await databases.embedded("mini-claude-bench-import-");
  rows.push(await measure("PGlite", embedded, generated.path));
} finally {
  await databases.close();
}

const mb = generated.bytes / 1_000_000;
console.log(
  `Synthetic ChatGPT export: ${mb.toFixed(1)} MB on one line, ${
    generated.conversations.toLocaleString("en")
  } ` +
    `conversations (11 kept messages each: 5 turns and one regenerated reply; a hidden system message skipped).\n`,
);
console.log(
  "| engine | seconds | MB/s | conversations | messages | peak RSS above idle (MB) | peak JS heap above idle (MB) |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const r of rows) {
  console.log(
    `| ${r.engine} | ${r.seconds.toFixed(1)} | ${(mb / r.seconds).toFixed(2)} | ${
      r.report.imported.toLocaleString("en")
    } | ${r.report.messages.toLocaleString("en")} | ${r.peakRssMb.toFixed(0)} | ${r.peakHeapMb.toFixed(0)} |`,
  );
}
