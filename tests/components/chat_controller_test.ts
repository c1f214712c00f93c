/**
 * The chat controller's effects without a browser: its API calls go to the real app (PGlite) with
 * the Gemini stub as the model, and every state it reaches is the store's. The page's `fetch` is the
 * runtime's, resolving the same relative URLs a page would against the app and keeping the session
 * cookie as a browser does; `history` records the URL the controller sets.
 */
import assert from "node:assert/strict";
import { createChatController } from "../../components/chat/chat_controller.ts";
import { chatReducer, type ChatState, initialChatState } from "../../components/chat/state.ts";
import { createStore } from "../../components/chat/store.ts";
import { startTestServer } from "../_helpers/app_server.ts";
import { startGeminiStub, stubReplyText } from "../stubs/gemini_server.ts";

/** A page session against `base`: relative URLs resolved there, the session cookie kept. */
function pageSession(base: string) {
  const realFetch = globalThis.fetch;
  let cookie = "";
  const urls: string[] = [];
  const pageFetch = async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (cookie) headers.set("cookie", cookie);
    const res = await realFetch(new URL(String(input), base), { ...init, headers });
    const set = res.headers.get("set-cookie");
    if (set) cookie = set.split(";")[0];
    return res;
  };
  const history = { replaceState: (_state: unknown, _title: string, url: string) => urls.push(url) };
  const saved = Object.getOwnPropertyDescriptor(globalThis, "history");
  globalThis.fetch = pageFetch as typeof fetch;
  Object.defineProperty(globalThis, "history", { value: history, configurable: true });
  return {
    urls,
    restore() {
      globalThis.fetch = realFetch;
      if (saved) Object.defineProperty(globalThis, "history", saved);
      else delete (globalThis as { history?: unknown }).history;
    },
  };
}

/** A new-chat page's store and controller. */
function newChat() {
  const store = createStore(
    chatReducer,
    initialChatState({
      conversations: [],
      conversation: null,
      model: { label: "Stub", models: [], unavailableMessage: null },
      query: "",
    }),
  );
  store.dispatch({ type: "hydrated" });
  return { store, chat: createChatController(store, { conversation: null }) };
}

/** Resolves once `test` holds for the store's state (checked on each change). */
function until(
  store: ReturnType<typeof newChat>["store"],
  test: (s: ChatState) => boolean,
): Promise<ChatState> {
  return new Promise((resolve) => {
    if (test(store.getState())) return resolve(store.getState());
    const off = store.subscribe(() => {
      if (!test(store.getState())) return;
      off();
      resolve(store.getState());
    });
  });
}

Deno.test({
  name: "chat controller against the app: send, queue, stop, delete mid-reply",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const stub = await startGeminiStub({ apiKey: "controller-test-key" });
    const server = await startTestServer({ GEMINI_API_KEY: stub.apiKey, GEMINI_BASE_URL: stub.url });
    const page = pageSession(server.url);
    try {
      await t.step("send from a new chat: created, streamed, read back with server ids, idle", async () => {
        const { store, chat } = newChat();
        let tokens = 0;
        store.subscribe(() => {
          const r = store.getState().reply;
          if (r?.phase === "streaming" && r.text !== "") tokens++;
        });
        store.dispatch({ type: "composer/changed", text: "Hello there" });
        const spoken = await chat.send({});
        const s = store.getState();
        const id = s.meta!.id;
        assert.deepEqual(page.urls, [`/c/${id}`]);
        assert.equal(s.reply, null);
        assert.equal(s.text, "");
        assert.ok(tokens >= 2, `tokens seen: ${tokens}`);
        const replyText = stubReplyText("Hello there");
        assert.deepEqual(s.messages.map((m) => [m.role, m.status, m.content, m.id.startsWith("local-")]), [
          ["user", "complete", "Hello there", false],
          ["assistant", "complete", replyText, false],
        ]);
        assert.deepEqual(spoken, { id: s.messages[1].id, text: replyText });
        assert.deepEqual(s.conversations.map((c) => c.id), [id]);
        assert.equal(s.announcement, `Mini-Claude replied: ${replyText}.`);
        assert.deepEqual(s.focus, { kind: "composer" });
        assert.deepEqual(s.voiceRequest, { kind: "reply-done", reply: spoken });
      });

      await t.step("text sent during a reply is queued, then sent when the reply ends", async () => {
        const { store, chat } = newChat();
        store.dispatch({ type: "composer/changed", text: "First [[stub:slow:20]]" });
        const first = chat.send({});
        await until(store, (s) => s.reply?.phase === "streaming" && s.reply.text !== "");
        store.dispatch({ type: "composer/changed", text: "Second" });
        assert.equal(await chat.send({}), null);
        assert.deepEqual(store.getState().queue.map((q) => q.content), ["Second"]);
        assert.equal(store.getState().text, "");
        await first;
        chat.sendQueued(); // what ChatApp's effect does once the composer is free
        assert.deepEqual(store.getState().queue, []);
        const done = await until(store, (s) => s.reply === null && s.messages.length === 4);
        assert.deepEqual(done.messages.map((m) => [m.role, m.status, m.content]), [
          ["user", "complete", "First [[stub:slow:20]]"],
          ["assistant", "complete", stubReplyText("First [[stub:slow:20]]")],
          ["user", "complete", "Second"],
          ["assistant", "complete", stubReplyText("Second")],
        ]);
      });

      await t.step("Stop mid-reply keeps the partial text, stopped", async () => {
        const { store, chat } = newChat();
        // The stub sends two tokens, then nothing until the request is aborted.
        const prompt = "one two three four [[stub:stall:2]]";
        store.dispatch({ type: "composer/changed", text: prompt });
        const sent = chat.send({});
        const streaming = await until(
          store,
          (s) => s.reply?.phase === "streaming" && s.reply.messageId !== null && s.reply.text === "Echo: one",
        );
        assert.equal(streaming.reply?.phase, "streaming");
        chat.stop();
        assert.equal(await sent, null);
        const s = store.getState();
        const last = s.messages.at(-1)!;
        assert.equal(s.reply, null);
        assert.equal(last.status, "stopped");
        assert.equal(last.content, "Echo: one");
        assert.equal(s.voiceRequest, null);
      });

      await t.step("deleting the conversation mid-reply empties the view and ends idle", async () => {
        const { store, chat } = newChat();
        store.dispatch({ type: "composer/changed", text: "alpha beta gamma delta [[stub:slow:200]]" });
        const sent = chat.send({});
        const streaming = await until(store, (s) => s.reply?.phase === "streaming" && s.reply.text !== "");
        const id = streaming.meta!.id;
        await chat.remove(id);
        assert.equal(store.getState().meta, null);
        assert.deepEqual(store.getState().messages, []);
        assert.equal(page.urls.at(-1), "/");
        await sent;
        const s = store.getState();
        assert.equal(s.reply, null);
        assert.deepEqual(s.messages, []);
        assert.equal(s.conversations.some((c) => c.id === id), false);
      });
    } finally {
      page.restore();
      await server.close();
      await stub.close();
    }
  },
});
