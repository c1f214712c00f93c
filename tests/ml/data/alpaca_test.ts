import assert from "node:assert/strict";
import { checkRecord, loadAlpacaRecords, readAlpacaRecords } from "../../../ml/data/alpaca.ts";
import { DataError } from "../../../ml/data/errors.ts";

Deno.test("a valid record passes; missing input is a warning and reads as empty", () => {
  const ok = checkRecord({ instruction: "Hi", input: "", output: "Hello" }, 0, 1);
  assert.deepEqual(ok, {
    record: { instruction: "Hi", input: "", output: "Hello" },
    errors: [],
    warnings: [],
  });
  const noInput = checkRecord({ instruction: "Hi", output: "Hello" }, 3, 4);
  assert.deepEqual(noInput.record, { instruction: "Hi", input: "", output: "Hello" });
  assert.deepEqual(noInput.warnings, [{
    index: 3,
    line: 4,
    field: "input",
    message: "missing, read as empty",
  }]);
});

Deno.test("errors name index, line, field and problem; unknown fields are warnings", () => {
  const r = checkRecord({ instruction: 5, output: null, input: "", id: 1 }, 7, 9);
  assert.equal(r.record, null);
  assert.deepEqual(r.errors, [
    { index: 7, line: 9, field: "instruction", message: "expected string, got number" },
    { index: 7, line: 9, field: "output", message: "expected string, got null" },
  ]);
  assert.deepEqual(r.warnings, [{ index: 7, line: 9, field: "id", message: "unknown field (ignored)" }]);
  assert.deepEqual(checkRecord({ input: "" }, 0, 1).errors.map((e) => [e.field, e.message]), [
    ["instruction", "missing (expected string)"],
    ["output", "missing (expected string)"],
  ]);
  assert.deepEqual(checkRecord("text", 2, 2).errors, [
    { index: 2, line: 2, field: "(record)", message: "expected an object, got a string" },
  ]);
});

Deno.test("readAlpacaRecords streams valid records; invalid ones throw with location or are skipped", async () => {
  const fixture = (name: string) => new URL(`../../fixtures/data/${name}`, import.meta.url).pathname;
  const records = await loadAlpacaRecords(fixture("bom_crlf.jsonl"));
  assert.deepEqual(records[1], { instruction: "Add the two numbers.", input: "2 and 3", output: "5" });
  await assert.rejects(
    () => loadAlpacaRecords(fixture("defects.jsonl")),
    (e) =>
      e instanceof DataError && e.code === "INVALID_RECORD" &&
      e.message.endsWith("defects.jsonl:17: record 16, field output: expected string, got number"),
  );
  const located = [];
  for await (const r of readAlpacaRecords(fixture("defects.json"), { skipInvalid: true })) located.push(r);
  assert.equal(located.length, 18);
  assert.deepEqual([located[17].index, located[17].line], [21, 103]);
});
