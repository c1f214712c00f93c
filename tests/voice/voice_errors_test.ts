import assert from "node:assert/strict";
import { voiceErrorSentence } from "../../components/voice/voice_errors.ts";

Deno.test("voice errors: browser names and codes become sentences; server sentences are kept", () => {
  const denied = new DOMException("Permission denied", "NotAllowedError");
  assert.equal(
    voiceErrorSentence(denied),
    "The browser blocked the microphone or audio. Allow it in the site settings and try again.",
  );
  assert.equal(
    voiceErrorSentence(new DOMException("Requested device not found", "NotFoundError")),
    "No microphone was found. Connect one and try again.",
  );
  assert.equal(
    voiceErrorSentence(new Error("speech recognition: network")),
    "The browser's speech service could not be reached. Check the connection and try again.",
  );
  assert.equal(
    voiceErrorSentence(new Error("speech synthesis failed: synthesis-failed")),
    "The browser could not read the text aloud.",
  );
  assert.equal(
    voiceErrorSentence(new Error("speech recognition: bad-grammar")),
    "The browser's speech service failed (bad-grammar).",
  );
  assert.equal(
    voiceErrorSentence(new Error("audio playback failed (4)")),
    "The audio could not be played in this browser.",
  );
  assert.equal(
    voiceErrorSentence(new Error("audio playback failed (unknown)")),
    "The audio could not be played.",
  );
  assert.equal(voiceErrorSentence(new Error("recording failed")), "The recording failed. Try again.");
  // The voice server's own messages are already sentences.
  assert.equal(
    voiceErrorSentence(new Error("The voice service could not be reached.")),
    "The voice service could not be reached.",
  );
  assert.equal(voiceErrorSentence("quota exceeded"), "Quota exceeded.");
  assert.equal(voiceErrorSentence(null), "Something went wrong with voice.");
  for (
    const s of [denied, new Error("speech recognition: not-allowed"), new Error("x")].map(voiceErrorSentence)
  ) {
    assert.match(s, /^[A-Z].*[.!?]$/);
    assert.doesNotMatch(s, /[a-z]+-[a-z]+|Error\b/);
  }
});
