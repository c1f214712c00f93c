import assert from "node:assert/strict";
import { type LoadedItem, openRecords } from "../../../ml/data/loaders.ts";
import { DataError } from "../../../ml/data/errors.ts";

const fixture = (name: string) => new URL(`../../fixtures/data/${name}`, import.meta.url).pathname;

async function collect(path: string): Promise<{ items: LoadedItem[]; facts: unknown }> {
  const stream = await openRecords(path);
  const items: LoadedItem[] = [];
  for await (const item of stream) items.push(item);
  return { items, facts: stream.facts };
}

Deno.test("JSONL: indices and line numbers, parse error on its own line", async () => {
  const { items } = await collect(fixture("defects.jsonl"));
  assert.equal(items.length, 22);
  assert.deepEqual(items.map((i) => i.kind === "structure-error" ? -1 : i.index), [...Array(22).keys()]);
  assert.deepEqual(items.map((i) => i.line), Array.from({ length: 22 }, (_, i) => i + 1));
  const bad = items.filter((i) => i.kind === "parse-error");
  assert.deepEqual(bad.map((b) => b.kind === "parse-error" && [b.index, b.line]), [[20, 21]]);
});

Deno.test("JSON array: elements split without parsing the document, start lines tracked", async () => {
  const { items } = await collect(fixture("defects.json"));
  assert.equal(items.length, 22);
  const lines = items.map((i) => i.line);
  assert.deepEqual(lines.slice(0, 3), [2, 7, 12]);
  assert.deepEqual(items.filter((i) => i.kind === "parse-error").map((i) => i.line), [102]);
  const first = items[0];
  assert.ok(first.kind === "value");
  assert.deepEqual(first.value, {
    instruction: "Give three tips for staying healthy.",
    input: "",
    output: "Eat well, sleep enough, and exercise.",
  });
});

Deno.test("BOM and CRLF are skipped and counted, in both formats", async () => {
  const jsonl = await collect(fixture("bom_crlf.jsonl"));
  assert.equal(jsonl.items.filter((i) => i.kind === "value").length, 3);
  assert.deepEqual(jsonl.facts, {
    format: "jsonl",
    sizeBytes: 228,
    bom: true,
    crlfLines: 3,
    blankLines: 0,
    truncated: false,
  });
  const json = await collect(fixture("bom_crlf.json"));
  assert.equal(json.items.filter((i) => i.kind === "value").length, 3);
  assert.equal((json.facts as { bom: boolean }).bom, true);
  assert.deepEqual(json.items.map((i) => i.line), [2, 3, 4]);
});

Deno.test("truncated last line (JSONL) and truncated array (JSON) are reported, earlier records kept", async () => {
  const jsonl = await collect(fixture("truncated.jsonl"));
  assert.equal(jsonl.items.filter((i) => i.kind === "value").length, 2);
  const last = jsonl.items[2];
  assert.ok(last.kind === "parse-error" && last.index === 2 && last.line === 3);
  assert.match(last.message, /truncated last line/);
  assert.equal((jsonl.facts as { truncated: boolean }).truncated, true);

  const json = await collect(fixture("truncated.json"));
  assert.deepEqual(json.items.map((i) => i.kind), ["value", "value", "parse-error", "structure-error"]);
  assert.match((json.items[3] as { message: string }).message, /never closed/);
});

Deno.test("not JSON, empty and missing files throw typed errors", async () => {
  await assert.rejects(
    () => openRecords(fixture("not_json.txt")),
    (e) => e instanceof DataError && e.code === "NOT_JSON",
  );
  await assert.rejects(
    () => openRecords(fixture("nope.json")),
    (e) => e instanceof DataError && e.code === "FILE_NOT_FOUND",
  );
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/empty.jsonl`, "\n  \n");
    await assert.rejects(
      () => openRecords(`${dir}/empty.jsonl`),
      (e) => e instanceof DataError && e.code === "NOT_JSON",
    );
    await Deno.writeTextFile(`${dir}/garbage.jsonl`, "{not json\n{also not\n");
    await assert.rejects(
      () => collect(`${dir}/garbage.jsonl`),
      (e) => e instanceof DataError && e.code === "NOT_JSON",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("JSON array structure: strings with brackets, stray commas, trailing data", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/tricky.json`;
    await Deno.writeTextFile(
      path,
      '[{"instruction":"a ] } , [ \\" {","input":"","output":"x"},\n,{"instruction":"b","input":"","output":[1,{"y":"]"}]},]\n garbage',
    );
    const { items } = await collect(path);
    assert.deepEqual(items.map((i) => i.kind), [
      "value",
      "structure-error",
      "value",
      "structure-error",
      "structure-error",
    ]);
    assert.equal((items[0] as { value: { instruction: string } }).value.instruction, 'a ] } , [ " {');
    assert.deepEqual(
      items.filter((i) => i.kind === "structure-error").map((i) => (i as { message: string }).message),
      [
        "empty element (stray comma)",
        "trailing comma before ]",
        "unexpected content after the closing ]",
      ],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("multi-byte characters split across read chunks decode correctly", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/wide.jsonl`;
    const text = "é漢🙂".repeat(30_000); // > 64 KiB so chunk boundaries fall inside characters
    await Deno.writeTextFile(path, JSON.stringify({ instruction: "x", input: "", output: text }) + "\n");
    const { items } = await collect(path);
    assert.equal(items.length, 1);
    assert.equal((items[0] as { value: { output: string } }).value.output, text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("JSON array: escapes and brackets inside long strings survive chunk boundaries", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/escapes.json`;
    const records = Array.from({ length: 40 }, (_, i) => ({
      instruction: `q${i} "quoted" \\ back ] } [ {`.repeat(200),
      input: "",
      output: `é${i}\n`.repeat(100),
    }));
    await Deno.writeTextFile(path, JSON.stringify(records, null, 1));
    const { items } = await collect(path);
    assert.deepEqual(items.map((i) => (i as { value: unknown }).value), records);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
