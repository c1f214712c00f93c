import assert from "node:assert/strict";
import { autoTitle, DEFAULT_TITLE } from "../../lib/db/mod.ts";

Deno.test("short text is kept on one line", () => {
  assert.equal(autoTitle("  How do\nI   boil an egg?  "), "How do I boil an egg?");
  assert.equal(autoTitle(" \n\t "), DEFAULT_TITLE);
});

Deno.test("long text is cut on a word boundary under 60 characters with an ellipsis", () => {
  const title = autoTitle(
    "Explain the difference between LoRA and full fine-tuning for a seven billion parameter model",
  );
  assert.equal(title, "Explain the difference between LoRA and full fine-tuning…");
  assert.ok([...title].length <= 60);
});

Deno.test("a single long word is cut hard and emoji are never split", () => {
  const title = autoTitle("😀".repeat(100));
  assert.equal(title, "😀".repeat(59) + "…");
  assert.equal(autoTitle("a".repeat(61)), "a".repeat(59) + "…");
  assert.equal(autoTitle("a".repeat(60)), "a".repeat(60));
});
