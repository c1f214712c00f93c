import assert from "node:assert/strict";
import { checkAnyRecord, qualityView, recordFormatOf, serializeRecord } from "../../../ml/data/chat.ts";
import { validateFile } from "../../../ml/data/validate.ts";
import { runValidateData } from "../../../tasks/validate_data.ts";

const fixture = (name: string) => new URL(`../../fixtures/data/${name}`, import.meta.url).pathname;

Deno.test("chat records: ShareGPT and OpenAI messages normalize to the same turns", () => {
  const sharegpt = checkAnyRecord(
    {
      conversations: [{ from: "system", value: "Be brief." }, { from: "human", value: "Hi" }, {
        from: "gpt",
        value: "Hello.",
      }],
    },
    0,
    1,
  );
  const openai = checkAnyRecord(
    {
      messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }, {
        role: "assistant",
        content: "Hello.",
      }],
    },
    0,
    1,
  );
  const turns = [
    { role: "system", content: "Be brief." },
    { role: "user", content: "Hi" },
    { role: "assistant", content: "Hello." },
  ];
  assert.deepEqual(sharegpt, {
    format: "sharegpt",
    record: { format: "sharegpt", messages: turns },
    errors: [],
    warnings: [],
  });
  assert.deepEqual(openai.record, { format: "openai", messages: turns });
  assert.deepEqual(serializeRecord(sharegpt.record!), {
    conversations: [{ from: "system", value: "Be brief." }, { from: "human", value: "Hi" }, {
      from: "gpt",
      value: "Hello.",
    }],
  });
  assert.deepEqual(qualityView(openai.record!.format === "openai" ? openai.record!.messages : []), {
    instruction: "Hi",
    input: "Be brief.",
    output: "Hello.",
  });
  assert.equal(recordFormatOf({ instruction: "x", output: "y" }), "alpaca");
  assert.equal(checkAnyRecord({ instruction: "x", input: "", output: "y" }, 0, 1).record?.format, "alpaca");
});

Deno.test("chat records: every problem names its record, line and field", () => {
  const problems = (value: unknown) =>
    checkAnyRecord(value, 4, 9).errors.map((e) => `${e.index}@${e.line} ${e.field}: ${e.message}`);
  assert.deepEqual(problems({ conversations: "hi" }), [
    "4@9 conversations: expected an array of turns, got a string",
  ]);
  assert.deepEqual(problems({ conversations: [] }), [
    "4@9 conversations: empty conversation",
  ]);
  assert.deepEqual(
    problems({ conversations: [{ from: "human", value: "a" }, { from: "bot", value: "b" }] }),
    [
      '4@9 conversations.1.from: unknown speaker "bot" (expected system, human, user, gpt, assistant)',
    ],
  );
  assert.deepEqual(
    problems({ messages: [{ role: "user", content: [{ type: "text" }] }, { role: "assistant" }] }),
    [
      "4@9 messages.0.content: content-part arrays (images, files) are not supported; expected a string",
      "4@9 messages.1.content: missing (expected a string)",
    ],
  );
  assert.deepEqual(
    problems({
      messages: [{ role: "user", content: "a" }, { role: "assistant", content: null, tool_calls: [] }],
    }),
    [
      "4@9 messages.1.content: expected a string, got null",
      "4@9 messages.1.tool_calls: tool calls are not supported",
    ],
  );
  assert.deepEqual(
    problems({ messages: [{ role: "assistant", content: "a" }, { role: "user", content: "b" }] }),
    ["4@9 messages.0.role: expected a user turn here (user and assistant turns alternate, starting with user)"],
  );
  assert.deepEqual(
    problems({
      messages: [{ role: "user", content: "a" }, { role: "assistant", content: "b" }, {
        role: "system",
        content: "c",
      }],
    }),
    [
      "4@9 messages.2.role: a system turn may only come first",
    ],
  );
  const trailing = checkAnyRecord(
    {
      messages: [{ role: "user", content: "a" }, { role: "assistant", content: "b" }, {
        role: "user",
        content: "c",
      }],
      id: 3,
    },
    1,
    2,
  );
  assert.equal(trailing.errors.length, 0);
  assert.deepEqual(trailing.warnings.map((w) => `${w.field}: ${w.message}`), [
    "id: unknown field (ignored)",
    "messages.2: trailing user turn without a reply (not trained on)",
  ]);
});

Deno.test("validate-data on ShareGPT: same report, errors located, mixed formats refused, cleaned copy keeps the format", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const report = await validateFile(fixture("chat_sharegpt.jsonl"), { out: `${dir}/clean.jsonl` });
    assert.equal(report.recordFormat, "sharegpt");
    assert.deepEqual(report.records, { total: 8, valid: 3, invalid: 5 });
    assert.deepEqual(report.errors.map((e) => `${e.index}@${e.line} ${e.field}`), [
      "2@3 conversations.1.from",
      "3@4 conversations.0.from",
      "4@5 conversations",
      "5@6 conversations.1.value",
      "6@7 (record)",
    ]);
    assert.match(report.errors.at(-1)!.message, /^an OpenAI messages record in a ShareGPT file$/);
    assert.deepEqual(report.unknownFields, { id: 1 });
    assert.equal(report.quality.metrics.exactDuplicate.count, 1);
    assert.deepEqual(report.quality.metrics.exactDuplicate.indices, [7]);
    const clean = (await Deno.readTextFile(`${dir}/clean.jsonl`)).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    assert.equal(clean.length, 2); // 3 valid, of which one exact duplicate is dropped
    assert.deepEqual(clean[0].conversations[1], { from: "human", value: "Name a whale." });
    // The cleaned copy validates clean, in the same format.
    const again = await validateFile(`${dir}/clean.jsonl`);
    assert.equal(again.ok, true);
    assert.equal(again.recordFormat, "sharegpt");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task validate-data on OpenAI messages: exit 1, the error table names each field", async () => {
  let out = "";
  const code = await runValidateData([fixture("chat_openai.json")], {
    stdout: (s) => out += s,
    stderr: () => {},
  });
  assert.equal(code, 1);
  assert.match(out, /INVALID: 5 records \(2 valid, 3 invalid\), JSON array of OpenAI-messages conversations/);
  assert.match(out, /\| 1 +\| 3 +\| messages\.1\.tool_calls +\| tool calls are not supported +\|/);
  assert.match(out, /\| 2 +\| 4 +\| messages\.0\.content +\| content-part arrays/);
  assert.match(out, /\| 3 +\| 5 +\| messages\.2\.role +\| a system turn may only come first +\|/);
  assert.match(
    out,
    /\| 4 +\| 6 +\| messages\.2 +\| trailing user turn without a reply \(not trained on\) +\|/,
  );
  assert.match(out, /Quality checks see each conversation as user turns → instruction/);
});
