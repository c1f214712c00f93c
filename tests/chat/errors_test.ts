import assert from "node:assert/strict";
import {
  CHAT_ERROR_CODES,
  CHAT_ERROR_MESSAGES,
  ChatError,
  isChatError,
  redactSecrets,
} from "../../lib/chat/errors.ts";

Deno.test("every code has a user-readable default message and a JSON form of { code, message }", () => {
  assert.equal(CHAT_ERROR_CODES.length, 9);
  for (const code of CHAT_ERROR_CODES) {
    const e = new ChatError(code);
    assert.equal(e.message, CHAT_ERROR_MESSAGES[code]);
    assert.ok(e.message.length > 10);
    assert.deepEqual(JSON.parse(JSON.stringify(e)), { code, message: e.message });
    assert.ok(isChatError(e));
  }
  assert.equal(new ChatError("rate_limited").retryable, true);
  assert.equal(new ChatError("upstream_unavailable").retryable, true);
  assert.equal(new ChatError("stream_broken").retryable, false);
  assert.equal(isChatError(new Error("x")), false);
});

Deno.test("redactSecrets replaces every occurrence and ignores tiny secrets", () => {
  assert.equal(redactSecrets("key=AIzaABC and AIzaABC", ["AIzaABC"]), "key=[redacted] and [redacted]");
  assert.equal(redactSecrets("a b c", ["a", undefined, ""]), "a b c");
});
