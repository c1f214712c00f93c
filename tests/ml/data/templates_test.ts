import assert from "node:assert/strict";
import {
  formatPrompt,
  PROMPT_NO_INPUT,
  PROMPT_WITH_INPUT,
  splitPromptResponse,
} from "../../../ml/data/templates.ts";

Deno.test("templates are Stanford Alpaca's PROMPT_DICT, byte for byte", () => {
  assert.equal(
    PROMPT_WITH_INPUT,
    "Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.\n\n### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:",
  );
  assert.equal(
    PROMPT_NO_INPUT,
    "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\n{instruction}\n\n### Response:",
  );
});

Deno.test("splitPromptResponse picks the template by input and keeps the output as the response", () => {
  const withInput = splitPromptResponse({ instruction: "Add the numbers.", input: "2 and 3", output: "5" });
  assert.equal(
    withInput.prompt,
    "Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.\n\n### Instruction:\nAdd the numbers.\n\n### Input:\n2 and 3\n\n### Response:",
  );
  assert.equal(withInput.response, "5");
  const noInput = splitPromptResponse({ instruction: "Say hi.", input: "", output: "Hi!" });
  assert.ok(noInput.prompt.endsWith("### Instruction:\nSay hi.\n\n### Response:"));
  assert.ok(!noInput.prompt.includes("### Input:"));
  assert.equal(noInput.prompt + noInput.response, formatPrompt({ instruction: "Say hi." }) + "Hi!");
});

Deno.test("placeholders in record text are not expanded ($& and {input} stay literal)", () => {
  const { prompt } = splitPromptResponse({
    instruction: "Explain $& and {input}.",
    input: "$1",
    output: "x",
  });
  assert.ok(prompt.includes("### Instruction:\nExplain $& and {input}.\n\n### Input:\n$1\n\n"));
});
