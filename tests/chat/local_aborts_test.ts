import assert from "node:assert/strict";
import { RequestAborts } from "../../lib/chat/local_aborts.ts";

Deno.test("local worker aborts: nothing is kept once requests finish, whatever order aborts arrive in", () => {
  const r = new RequestAborts();
  // Aborts of requests that finished long ago or never existed leave nothing behind.
  for (let id = 0; id < 1000; id++) r.abort(id);
  assert.equal(r.size, 0);

  // Aborted while queued: starts aborted.
  r.queue(1);
  r.abort(1);
  assert.equal(r.start(1).aborted, true);
  r.finish(1);

  // Aborted while running: the signal fires.
  r.queue(2);
  const signal = r.start(2);
  assert.equal(signal.aborted, false);
  r.abort(2);
  assert.equal(signal.aborted, true);
  r.finish(2);

  // Aborted after finishing (the client's stop raced the last token): ignored.
  r.queue(3);
  assert.equal(r.start(3).aborted, false);
  r.finish(3);
  r.abort(3);
  assert.equal(r.size, 0);

  // A request that never ran (model failed to load) is forgotten too.
  r.queue(4);
  r.abort(4);
  r.finish(4);
  assert.equal(r.size, 0);
});
