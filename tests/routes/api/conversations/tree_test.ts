/**
 * The message tree through the HTTP API, against the Gemini protocol stub: regenerate and edit
 * add versions, the branch switch is stored, the model reads only the path, continue appends to a
 * stopped reply, a reply's text edited by hand is a new version, and simultaneous requests on one
 * conversation start one reply. Runs on embedded PGlite and on a real PostgreSQL.
 */
import assert from "node:assert/strict";
import { ApiClient } from "../../../_helpers/api_client.ts";
import { startTestServer, type TestServer } from "../../../_helpers/app_server.ts";
import { postgresMissing, startPostgresCluster } from "../../../_helpers/postgres_cluster.ts";
import { readSse, type SseEvent, tokenText } from "../../../_helpers/sse.ts";
import { requireSuite } from "../../../_helpers/suites.ts";
import { type GeminiStub, startGeminiStub } from "../../../stubs/gemini_server.ts";

type Msg = {
  id: string;
  parentId: string | null;
  siblingIds: string[];
  role: string;
  content: string;
  status: string;
};
type Conv = { id: string; messages: Msg[] };
type GeminiBody = { contents: { role: string; parts: { text: string }[] }[] };

const KEY = "stub-key-tree-123456";
/** Many replies in one session: the message rate limits are not what these tests are about. */
const NO_LIMITS = { RATE_LIMIT_MESSAGES: "off", RATE_LIMIT_MESSAGES_IP: "off" };

async function runTreeApi(t: Deno.TestContext, server: TestServer, stub: GeminiStub): Promise<void> {
  const client = new ApiClient(server.url);
  const create = async () =>
    (await client.json<{ id: string }>("/api/conversations", { method: "POST", json: {} })).body.id;
  const post = async (id: string, action: string, json?: unknown): Promise<SseEvent[]> => {
    const res = await client.fetch(`/api/conversations/${id}/${action}`, { method: "POST", json });
    assert.equal(res.status, 200, `${action}: ${res.status}`);
    return await readSse(res);
  };
  const get = async (id: string) => (await client.json<Conv>(`/api/conversations/${id}`)).body.messages;
  const texts = (ms: Msg[]) => ms.map((m) => m.content);
  const sentToModel = () =>
    (stub.requests.at(-1)!.body as GeminiBody).contents.map((c) => `${c.role}:${c.parts[0].text}`);

  await t.step("regenerate twice: three versions, switch 1/3…3/3, stored", async () => {
    const id = await create();
    await post(id, "messages", { content: "hello tree" });
    await post(id, "regenerate");
    const events = await post(id, "regenerate");
    assert.equal(events.at(-1)?.event, "done");
    const path = await get(id);
    assert.equal(path.length, 2);
    const versions = path[1].siblingIds;
    assert.equal(versions.length, 3);
    assert.equal(path[1].id, versions[2], "the newest version is shown");
    for (const [i, v] of versions.entries()) {
      const res = await client.json<Conv>(`/api/conversations/${id}/branch`, {
        method: "POST",
        json: { messageId: v },
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.messages[1].id, v, `version ${i + 1}/3`);
      assert.equal((await get(id))[1].id, v, "the switch is stored");
    }
    // The model saw only the path: one user turn each time, never the other versions.
    assert.deepEqual(sentToModel(), ["user:hello tree"]);
  });

  await t.step("edit an early message, answer it, then switch back to the original branch", async () => {
    const id = await create();
    await post(id, "messages", { content: "one" });
    await post(id, "messages", { content: "two" });
    const original = await get(id);
    await post(id, "edit", { messageId: original[0].id, content: "uno" });
    assert.deepEqual(sentToModel(), ["user:uno"], "the model reads only the new branch");
    const edited = await get(id);
    assert.deepEqual(texts(edited), ["uno", "Echo: uno"]);
    assert.deepEqual(edited[0].siblingIds, [original[0].id, edited[0].id]);
    await post(id, "messages", { content: "dos" });
    assert.deepEqual(sentToModel(), ["user:uno", "model:Echo: uno", "user:dos"]);
    const back = await client.json<Conv>(`/api/conversations/${id}/branch`, {
      method: "POST",
      json: { messageId: original[0].id },
    });
    assert.deepEqual(texts(back.body.messages), ["one", "Echo: one", "two", "Echo: two"]);
    assert.deepEqual(back.body.messages.map((m) => m.id), original.map((m) => m.id));
    // Regenerate an earlier reply on this branch: its parent is "one".
    await post(id, "regenerate", { messageId: original[1].id });
    assert.deepEqual(sentToModel(), ["user:one"]);
    const regenerated = await get(id);
    assert.deepEqual(texts(regenerated), ["one", "Echo: one"]);
    assert.deepEqual(regenerated[1].siblingIds, [original[1].id, regenerated[1].id]);
  });

  await t.step("a tab still showing another branch sends, edits and regenerates on that branch", async () => {
    const id = await create();
    await post(id, "messages", { content: "root" });
    const [root, first] = await get(id);
    await post(id, "regenerate");
    const second = (await get(id))[1];
    assert.notEqual(second.id, first.id);
    // The stored branch is now "second"; a stale tab still shows "first" and answers under it.
    await post(id, "messages", { content: "follow-up", parentId: first.id });
    assert.deepEqual(sentToModel(), ["user:root", `model:${first.content}`, "user:follow-up"]);
    const onFirst = await get(id);
    assert.deepEqual(onFirst.map((m) => m.id).slice(0, 2), [root.id, first.id]);
    const followUp = onFirst[2];
    // Back on "second": the follow-up (off the current path) can still be edited and its reply regenerated.
    await client.json(`/api/conversations/${id}/branch`, { method: "POST", json: { messageId: second.id } });
    await post(id, "edit", { messageId: followUp.id, content: "follow-up, edited" });
    const edited = await get(id);
    assert.deepEqual(edited.map((m) => m.id).slice(0, 2), [root.id, first.id]);
    assert.deepEqual(edited[2].siblingIds, [followUp.id, edited[2].id]);
    await client.json(`/api/conversations/${id}/branch`, { method: "POST", json: { messageId: second.id } });
    await post(id, "regenerate", { messageId: onFirst[3].id });
    assert.deepEqual(sentToModel(), ["user:root", `model:${first.content}`, "user:follow-up"]);
    assert.deepEqual((await get(id))[3].siblingIds.length, 2);
    const unknown = await client.json(`/api/conversations/${id}/messages`, {
      method: "POST",
      json: { content: "x", parentId: crypto.randomUUID() },
    });
    assert.equal(unknown.status, 404);
  });

  await t.step("continue a stopped reply: the model sees it as a prefix, the text is appended", async () => {
    stub.setOptions({ tokenDelayMs: 30 });
    const id = await create();
    const words = Array.from({ length: 40 }, (_, i) => `w${i}`).join(" ");
    const res = await client.fetch(`/api/conversations/${id}/messages`, {
      method: "POST",
      json: { content: words },
    });
    const reader = res.body!.getReader();
    let received = "";
    while (!received.includes(' w2"')) received += new TextDecoder().decode((await reader.read()).value);
    // Leaving does not stop a reply (it is resumable); Stop does, and the stream ends `stopped`.
    const stop = await client.fetch(
      `/api/conversations/${id}/messages/${res.headers.get("x-message-id")}/stop`,
      { method: "POST" },
    );
    assert.equal(stop.status, 200);
    await stop.body?.cancel();
    while (!(await reader.read()).done) { /* the rest of the stream, up to `done` */ }
    stub.setOptions({ tokenDelayMs: 0 });
    const stopped = (await get(id))[1];
    assert.equal(stopped.status, "stopped");
    const prefix = stopped.content;
    assert.match(prefix, /^Echo: w0 w1 w2/);
    const events = await post(id, "continue", { messageId: stopped.id });
    assert.equal(events.at(-1)?.event, "done");
    assert.deepEqual(sentToModel(), [`user:${words}`, `model:${prefix}`]);
    const after = await get(id);
    assert.equal(after.length, 2);
    assert.equal(after[1].id, stopped.id, "the same reply grew");
    assert.equal(after[1].content, prefix + tokenText(events));
    assert.equal(after[1].status, "complete");
    const again = await client.json(`/api/conversations/${id}/continue`, { method: "POST", json: {} });
    assert.equal(again.status, 409, "a complete reply is not continued");
    assert.equal((again.body as { error: { code: string } }).error.code, "not_continuable");
  });

  await t.step("a reply's text edited by hand is a new version; the original is kept", async () => {
    const id = await create();
    await post(id, "messages", { content: "draft me" });
    const [question, reply] = await get(id);
    const res = await client.json<Conv>(`/api/conversations/${id}/versions`, {
      method: "POST",
      json: { messageId: reply.id, content: "Hand-written **answer**" },
    });
    assert.equal(res.status, 201);
    const edited = res.body.messages[1];
    assert.equal(edited.content, "Hand-written **answer**");
    assert.equal(edited.parentId, question.id);
    assert.deepEqual(edited.siblingIds, [reply.id, edited.id]);
    assert.deepEqual(texts(await get(id)), ["draft me", "Hand-written **answer**"]);
    await post(id, "messages", { content: "next" });
    assert.deepEqual(sentToModel(), ["user:draft me", "model:Hand-written **answer**", "user:next"]);
    const onUser = await client.json(`/api/conversations/${id}/versions`, {
      method: "POST",
      json: { messageId: question.id, content: "x" },
    });
    assert.equal(onUser.status, 400);
  });

  await t.step("bad input is 400, other sessions' and unknown ids are 404, nothing is stored", async () => {
    const id = await create();
    await post(id, "messages", { content: "mine" });
    const [q, a] = await get(id);
    const stranger = new ApiClient(server.url);
    for (
      const [action, json] of [
        ["branch", { messageId: a.id }],
        ["versions", { messageId: a.id, content: "x" }],
        ["regenerate", {}],
        ["edit", { messageId: q.id, content: "x" }],
        ["continue", {}],
      ] as const
    ) {
      const res = await stranger.json(`/api/conversations/${id}/${action}`, { method: "POST", json });
      assert.equal(res.status, 404, action);
    }
    const other = await create();
    await post(other, "messages", { content: "elsewhere" });
    const foreign = (await get(other))[1].id;
    for (const action of ["branch", "regenerate", "continue"]) {
      const res = await client.json(`/api/conversations/${id}/${action}`, {
        method: "POST",
        json: { messageId: foreign },
      });
      assert.equal(res.status, 404, `${action} with another conversation's message`);
    }
    for (
      const [action, json] of [
        ["branch", {}],
        ["branch", { messageId: "nope" }],
        ["versions", { messageId: a.id, content: "  " }],
        ["regenerate", { messageId: a.id, extra: 1 }],
        ["continue", { messageId: 5 }],
      ] as const
    ) {
      const res = await client.json<{ error: { code: string } }>(`/api/conversations/${id}/${action}`, {
        method: "POST",
        json,
      });
      assert.equal(res.status, 400, `${action} ${JSON.stringify(json)}`);
      assert.equal(res.body.error.code, "invalid_body");
    }
    assert.deepEqual((await get(id)).map((m) => m.id), [q.id, a.id]);
    assert.deepEqual((await get(id))[1].siblingIds, [a.id]);
  });

  await t.step("simultaneous regenerates start one reply; the other is refused with 409", async () => {
    const id = await create();
    await post(id, "messages", { content: "x ".repeat(60) });
    const before = await get(id);
    // Slow enough that the first reply is still being written when the second request is decided.
    stub.setOptions({ tokenDelayMs: 200 });
    const calls = stub.requests.length;
    try {
      const responses = await Promise.all(
        [1, 2].map(() => client.fetch(`/api/conversations/${id}/regenerate`, { method: "POST" })),
      );
      const statuses = responses.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, 409]);
      const refused = responses.find((r) => r.status === 409)!;
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, "reply_in_progress");
      const edit = await client.json(`/api/conversations/${id}/edit`, {
        method: "POST",
        json: { messageId: before[0].id, content: "meanwhile" },
      });
      assert.equal(edit.status, 409, "an edit while it streams is refused too");
      const streaming = responses.find((r) => r.status === 200)!;
      await streaming.body!.cancel();
      const versions = (await get(id))[1].siblingIds;
      assert.equal(versions.length, 2, "exactly one new version");
      assert.equal(stub.requests.length, calls + 1, "the model was called once");
      // Once the cancelled reply is stored as stopped, the next one goes ahead.
      let path = await get(id);
      while (path[1].status === "streaming") {
        await new Promise((r) => setTimeout(r, 20));
        path = await get(id);
      }
      stub.setOptions({ tokenDelayMs: 0 });
      await post(id, "regenerate");
      assert.equal((await get(id))[1].siblingIds.length, 3);
      assert.deepEqual((await get(id))[0].id, before[0].id);
    } finally {
      stub.setOptions({ tokenDelayMs: 0 });
    }
  });

  await t.step("simultaneous edits of one message create one version and one reply", async () => {
    const id = await create();
    await post(id, "messages", { content: "y ".repeat(60) });
    const [question] = await get(id);
    const count = async () =>
      (await server.services.db.sql`
        select count(*)::int as n from messages where conversation_id = ${id}`)[0].n as number;
    assert.equal(await count(), 2);
    stub.setOptions({ tokenDelayMs: 200 });
    const calls = stub.requests.length;
    try {
      const responses = await Promise.all(
        ["first edit", "second edit"].map((content) =>
          client.fetch(`/api/conversations/${id}/edit`, {
            method: "POST",
            json: { messageId: question.id, content },
          })
        ),
      );
      assert.deepEqual(responses.map((r) => r.status).sort(), [200, 409]);
      await responses.find((r) => r.status === 409)!.body!.cancel();
      await responses.find((r) => r.status === 200)!.body!.cancel();
      assert.equal(await count(), 4, "one user version and one reply were added");
      assert.equal(stub.requests.length, calls + 1, "the model was called once");
      assert.equal((await get(id))[0].siblingIds.length, 2);
    } finally {
      stub.setOptions({ tokenDelayMs: 0 });
    }
  });
}

Deno.test({
  name: "message tree through the API on PGlite",
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  const stub = await startGeminiStub({ apiKey: KEY });
  const server = await startTestServer({ GEMINI_API_KEY: KEY, GEMINI_BASE_URL: stub.url, ...NO_LIMITS });
  try {
    await runTreeApi(t, server, stub);
  } finally {
    await server.close();
    await stub.close();
  }
});

const pgOk = requireSuite("db-postgres", postgresMissing());

Deno.test({
  name: "message tree through the API on PostgreSQL",
  ignore: !pgOk,
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  const cluster = await startPostgresCluster();
  const stub = await startGeminiStub({ apiKey: KEY });
  const server = await startTestServer({
    GEMINI_API_KEY: KEY,
    GEMINI_BASE_URL: stub.url,
    DATABASE_URL: cluster.url,
    ...NO_LIMITS,
  });
  try {
    await runTreeApi(t, server, stub);
  } finally {
    await server.close();
    await stub.close();
    await cluster.destroy();
  }
});
