import assert from "node:assert/strict";
import { remembered } from "../../lib/remembered.ts";

Deno.test("remembered asks once per key and forgets everything when it holds max answers", () => {
  const asked: string[] = [];
  const length = remembered((key: string) => (asked.push(key), key.length), 2);
  assert.deepEqual([length("a"), length("bb"), length("a"), length("bb")], [1, 2, 1, 2]);
  assert.deepEqual(asked, ["a", "bb"]);
  assert.equal(length("ccc"), 3); // full: both forgotten, "ccc" kept
  assert.equal(length("a"), 1);
  assert.deepEqual(asked, ["a", "bb", "ccc", "a"]);
  assert.equal(length("ccc"), 3);
  assert.deepEqual(asked, ["a", "bb", "ccc", "a"], "ccc was still remembered");
});
