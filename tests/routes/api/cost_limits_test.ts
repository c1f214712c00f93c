/**
 * Cost and abuse limits through the API (PGlite, Gemini protocol stub): the daily token budget
 * (usage shown, 429 with Retry-After, per-owner override), the history token budget (exact turns
 * sent), rate limits on conversation changes, and database failures while a reply starts (503,
 * never a user message without its reply record).
 */
import assert from "node:assert/strict";
import { setDailyTokenLimit } from "../../../lib/db/token_usage.ts";
import { nextUtcMidnight } from "../../../lib/security/token_budget.ts";
import { ApiClient } from "../../_helpers/api_client.ts";
import { startTestServer, type TestServer } from "../../_helpers/app_server.ts";
import { readSse } from "../../_helpers/sse.ts";
import { type GeminiStub, startGeminiStub } from "../../stubs/gemini_server.ts";

type Msg = { role: string; content: string; status: string };
type Usage = { usedTokens: number; limitTokens: number | null; resetsAt: string };
type ErrorBody = { error: { code: string; message: string } };

async function newConversation(client: ApiClient, json: Record<string, unknown> = {}): Promise<string> {
  const res = await client.json<{ id: string }>("/api/conversations", { method: "POST", json });
  assert.equal(res.status, 201);
  return res.body.id;
}

async function send(client: ApiClient, id: string, content: string) {
  const res = await client.fetch(`/api/conversations/${id}/messages`, { method: "POST", json: { content } });
  return res;
}

async function ownerOf(server: TestServer, conversationId: string): Promise<string> {
  const rows = await server.services.db.sql`select owner_id from conversations where id = ${conversationId}`;
  return rows[0].owner_id as string;
}

async function messages(client: ApiClient, id: string): Promise<[string, string, string][]> {
  const conv = (await client.json<{ messages: Msg[] }>(`/api/conversations/${id}`)).body;
  return conv.messages.map((m) => [m.role, m.content, m.status]);
}

Deno.test({
  name: "cost limits: daily token budget, history budget, conversation rate limits, database failures",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const stub: GeminiStub = await startGeminiStub({ apiKey: "stub-key-123456" });
    const server = await startTestServer({
      GEMINI_API_KEY: "stub-key-123456",
      GEMINI_BASE_URL: stub.url,
      DAILY_TOKEN_BUDGET: "30",
      HISTORY_TOKEN_BUDGET: "100",
      RATE_LIMIT_CONVERSATIONS: "4/h",
    });
    try {
      await t.step(
        "replies are charged as the provider reports; at the limit 429 until the UTC midnight",
        async () => {
          const client = new ApiClient(server.url);
          const id = await newConversation(client);
          const fresh = await client.json<Usage>("/api/usage");
          assert.equal(fresh.status, 200);
          assert.deepEqual(fresh.body, {
            usedTokens: 0,
            limitTokens: 30,
            resetsAt: new Date(nextUtcMidnight(Date.now())).toISOString(),
          });

          // Stub: prompt = ceil(chars / 4) = ceil(21 / 4) = 6, completion = 4 words ("Echo:", " hello", ...).
          const first = await readSse(await send(client, id, "hello streaming world"));
          assert.deepEqual(first.at(-1)!.data.usage, { promptTokens: 6, completionTokens: 4 });
          assert.equal((await client.json<Usage>("/api/usage")).body.usedTokens, 10);
          // Second prompt: 21 + 27 + 21 = 69 characters -> 18 tokens, plus 4 -> 22; total 32.
          const second = await readSse(await send(client, id, "hello streaming world"));
          assert.deepEqual(second.at(-1)!.data.usage, { promptTokens: 18, completionTokens: 4 });
          assert.equal((await client.json<Usage>("/api/usage")).body.usedTokens, 32);

          const modelCalls = stub.requests.length;
          const before = Date.now();
          const refused = await send(client, id, "one more");
          const after = Date.now();
          assert.equal(refused.status, 429);
          const retryAfter = Number(refused.headers.get("retry-after"));
          assert.ok(
            retryAfter >= Math.floor((nextUtcMidnight(after) - after) / 1000) &&
              retryAfter <= Math.ceil((nextUtcMidnight(before) - before) / 1000) + 1,
            `Retry-After ${retryAfter} is the time to the UTC midnight`,
          );
          const body = await refused.json() as ErrorBody;
          assert.equal(body.error.code, "token_budget_exhausted");
          assert.match(
            body.error.message,
            /^You have used 32 of 30 tokens today\. The budget resets at 00:00 UTC/,
          );
          const regenerate = await client.fetch(`/api/conversations/${id}/regenerate`, { method: "POST" });
          assert.equal(regenerate.status, 429);
          await regenerate.body?.cancel();
          assert.equal(stub.requests.length, modelCalls, "the model was not called");
          assert.equal((await messages(client, id)).length, 4, "nothing was stored");

          // The admin's per-owner limit (lib/db/token_usage.ts setDailyTokenLimit) overrides the default.
          assert.equal(
            await setDailyTokenLimit(server.services.db.sql, await ownerOf(server, id), 1000),
            true,
          );
          assert.equal((await client.json<Usage>("/api/usage")).body.limitTokens, 1000);
          const third = await readSse(await send(client, id, "one more"));
          assert.equal(third.at(-1)!.event, "done");
          assert.ok((await client.json<Usage>("/api/usage")).body.usedTokens > 32);
        },
      );

      await t.step(
        "history is bounded by HISTORY_TOKEN_BUDGET: oldest exchange dropped, system prompt kept",
        async () => {
          const client = new ApiClient(server.url);
          const id = await newConversation(client, { systemPrompt: "Be brief." });
          await setDailyTokenLimit(server.services.db.sql, await ownerOf(server, id), 1_000_000);
          const long = "lorem ".repeat(50).trim(); // 299 characters: 75 tokens + 4 per turn
          for (const content of [long, "second question", "third one"]) {
            const events = await readSse(await send(client, id, content));
            assert.equal(events.at(-1)!.event, "done");
          }
          const sent = stub.requests.at(-1)!.body as {
            contents: { role: string; parts: { text: string }[] }[];
            systemInstruction?: { parts: { text: string }[] };
          };
          // Kept: "Be brief." (3) + third one (3 + 4) + second exchange (4 + 4, 6 + 4) = 28 tokens;
          // the first exchange (79 + 81) would make 188 > 100.
          assert.deepEqual(sent.contents.map((c) => [c.role, c.parts.map((p) => p.text).join("")]), [
            ["user", "second question"],
            ["model", "Echo: second question"],
            ["user", "third one"],
          ]);
          assert.equal(sent.systemInstruction?.parts[0].text, "Be brief.");
          assert.equal((await messages(client, id)).length, 6, "the stored conversation keeps every turn");
        },
      );

      await t.step(
        "creating, renaming and deleting conversations share RATE_LIMIT_CONVERSATIONS",
        async () => {
          const client = new ApiClient(server.url);
          const a = await newConversation(client);
          const b = await newConversation(client);
          const renamed = await client.json(`/api/conversations/${a}`, {
            method: "PATCH",
            json: { title: "Kept" },
          });
          assert.equal(renamed.status, 200);
          assert.equal((await client.fetch(`/api/conversations/${b}`, { method: "DELETE" })).status, 204);

          const create = await client.fetch("/api/conversations", { method: "POST", json: {} });
          const rename = await client.fetch(`/api/conversations/${a}`, {
            method: "PATCH",
            json: { title: "Lost" },
          });
          const remove = await client.fetch(`/api/conversations/${a}`, { method: "DELETE" });
          for (const res of [create, rename, remove]) {
            assert.equal(res.status, 429);
            assert.ok(Number(res.headers.get("retry-after")) >= 1);
            assert.equal(((await res.json()) as ErrorBody).error.code, "rate_limited");
          }
          const list = (await client.json<{ id: string; title: string }[]>("/api/conversations")).body;
          assert.deepEqual(list.map((c) => [c.id, c.title]), [[a, "Kept"]]);
          // Reading is not limited.
          assert.equal((await client.json(`/api/conversations/${a}`)).status, 200);
        },
      );

      await t.step(
        "a database failure while a reply starts is 503 and leaves no user message behind",
        async () => {
          const client = new ApiClient(server.url);
          const id = await newConversation(client);
          const { sql } = server.services.db;
          try {
            for (const errcode of ["53300", "XX000"]) {
              await sql.unsafe(`
              create or replace function fail_assistant_insert() returns trigger language plpgsql as $$
              begin
                if new.role = 'assistant' then
                  raise exception 'injected failure' using errcode = '${errcode}';
                end if;
                return new;
              end $$`);
              await sql.unsafe(`
              create or replace trigger fail_assistant_insert before insert on messages
              for each row execute function fail_assistant_insert()`);
              const res = await send(client, id, "is anyone there?");
              assert.equal(res.status, 503, errcode);
              assert.equal(res.headers.get("retry-after"), "5");
              assert.equal(((await res.json()) as ErrorBody).error.code, "database_unavailable");
              assert.deepEqual(
                await messages(client, id),
                [],
                `${errcode}: the user message was rolled back`,
              );
            }
          } finally {
            await sql.unsafe("drop trigger if exists fail_assistant_insert on messages");
            await sql.unsafe("drop function if exists fail_assistant_insert()");
          }
          const events = await readSse(await send(client, id, "is anyone there?"));
          assert.equal(events.at(-1)!.event, "done");
          assert.deepEqual(await messages(client, id), [
            ["user", "is anyone there?", "complete"],
            ["assistant", "Echo: is anyone there?", "complete"],
          ]);
        },
      );
    } finally {
      await server.close();
      await stub.close();
    }
  },
});
