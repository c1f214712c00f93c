/**
 * The chat island's reducer, without a browser: each action's transition with the exact resulting
 * state, and sequences (send → tokens → done, queueing during a reply, Stop, an error mid-stream,
 * switching conversation mid-reply, a reload that follows a reply still being written).
 */
import assert from "node:assert/strict";
import {
  type ChatAction,
  chatReducer,
  type ChatState,
  endStatus,
  filesUploading,
  initialChatState,
  isBusy,
  isStreaming,
  lastReplyIndex,
  lastUserIndex,
  parentOfNext,
  sameView,
  settingsOf,
  uploadedFiles,
} from "../../components/chat/state.ts";
import { createStore } from "../../components/chat/store.ts";
import type { ChatAppProps, ChatMessage, FolderItem, OpenConversation } from "../../components/chat/types.ts";

const C1 = "11111111-1111-4111-8111-111111111111";
const C2 = "22222222-2222-4222-8222-222222222222";
const U1 = "aaaaaaaa-0000-4000-8000-000000000001";
const A1 = "aaaaaaaa-0000-4000-8000-000000000002";
const A2 = "aaaaaaaa-0000-4000-8000-000000000003";

const user = (id: string, content: string): ChatMessage => ({
  id,
  role: "user",
  content,
  status: "complete",
});
const reply = (id: string, content: string, status: ChatMessage["status"] = "complete"): ChatMessage => ({
  id,
  role: "assistant",
  content,
  status,
});

const conversation = (
  id = C1,
  messages: ChatMessage[] = [user(U1, "Hi"), reply(A1, "Hello!")],
): OpenConversation => ({
  id,
  title: "Greeting",
  systemPrompt: "",
  model: null,
  messages,
});

function props(over: Partial<ChatAppProps> = {}): ChatAppProps {
  return {
    conversations: [{ id: C1, title: "Greeting", updatedAt: "2026-01-01T00:00:00.000Z" }],
    conversation: conversation(),
    model: { label: "Stub", models: [], unavailableMessage: null },
    query: "",
    ...over,
  };
}

/** The state of an open, hydrated conversation. */
const open = (): ChatState => ({ ...initialChatState(props()), ready: true });
/** The state of `/` (a new chat), hydrated. */
const fresh = (): ChatState => ({
  ...initialChatState(props({ conversation: null, conversations: [] })),
  ready: true,
});

function run(state: ChatState, ...actions: ChatAction[]): ChatState {
  return actions.reduce(chatReducer, state);
}

const folder: FolderItem = {
  id: "f1",
  name: "Work",
  systemPrompt: "Be brief.",
  model: null,
  conversationCount: 0,
};

Deno.test("initial state: from the server's props", () => {
  assert.deepEqual(initialChatState(props({ nextCursor: "c9", folders: [folder], query: "gr" })), {
    ready: false,
    conversations: [{ id: C1, title: "Greeting", updatedAt: "2026-01-01T00:00:00.000Z" }],
    nextCursor: "c9",
    loadingMore: false,
    query: "gr",
    view: { kind: "all" },
    folders: [folder],
    meta: { id: C1, title: "Greeting", systemPrompt: "", model: null },
    draft: { systemPrompt: "", model: null },
    draftTouched: false,
    messages: [user(U1, "Hi"), reply(A1, "Hello!")],
    reply: null,
    text: "",
    queue: [],
    files: [],
    notice: null,
    editingId: null,
    sidebarOpen: false,
    settingsOpen: false,
    follow: true,
    atBottom: true,
    announcement: "",
    dragging: false,
    pendingReveal: null,
    focus: null,
    voiceRequest: null,
  });
  const inFolder = initialChatState(props({ conversation: null, newChatFolderId: "f1" }));
  assert.deepEqual(inFolder.view, { kind: "folder", id: "f1" });
  assert.equal(inFolder.meta, null);
  assert.deepEqual(inFolder.messages, []);
});

Deno.test("hydrated: ready once; a second time changes nothing", () => {
  const s = initialChatState(props());
  const ready = chatReducer(s, { type: "hydrated" });
  assert.deepEqual(ready, { ...s, ready: true });
  assert.equal(chatReducer(ready, { type: "hydrated" }), ready);
});

Deno.test("sidebar list: loaded for the current filter and view; older answers are dropped", () => {
  const s = { ...open(), query: "gr" };
  const items = [{ id: C2, title: "Groceries", updatedAt: "2026-01-02T00:00:00.000Z" }];
  assert.deepEqual(
    chatReducer(s, { type: "list/loaded", query: "gr", view: { kind: "all" }, items, nextCursor: "n1" }),
    { ...s, conversations: items, nextCursor: "n1" },
  );
  assert.equal(
    chatReducer(s, { type: "list/loaded", query: "g", view: { kind: "all" }, items, nextCursor: null }),
    s,
  );
  assert.equal(
    chatReducer(s, { type: "list/loaded", query: "gr", view: { kind: "archived" }, items, nextCursor: null }),
    s,
  );
});

Deno.test("sidebar paging: More appends new rows only, failure says why", () => {
  const s = { ...open(), nextCursor: "n1" };
  const started = chatReducer(s, { type: "list/more-started" });
  assert.deepEqual(started, { ...s, loadingMore: true });
  const more = [
    { id: C1, title: "Greeting", updatedAt: "2026-01-01T00:00:00.000Z" },
    { id: C2, title: "Older", updatedAt: "2025-12-01T00:00:00.000Z" },
  ];
  assert.deepEqual(chatReducer(started, { type: "list/more-loaded", items: more, nextCursor: null }), {
    ...s,
    loadingMore: false,
    nextCursor: null,
    conversations: [...s.conversations, more[1]],
  });
  assert.deepEqual(chatReducer(started, { type: "list/more-failed", message: "Loading more failed: x" }), {
    ...s,
    loadingMore: false,
    notice: "Loading more failed: x",
  });
});

Deno.test("filter, view and folders", () => {
  const s = open();
  assert.deepEqual(chatReducer(s, { type: "query/changed", query: "x" }), { ...s, query: "x" });
  assert.deepEqual(chatReducer(s, { type: "view/changed", view: { kind: "archived" } }), {
    ...s,
    view: { kind: "archived" },
  });
  assert.deepEqual(chatReducer(s, { type: "folders/loaded", folders: [folder] }), {
    ...s,
    folders: [folder],
  });
  const created = chatReducer(s, { type: "folder/created", folder });
  assert.deepEqual(created, { ...s, folders: [folder], view: { kind: "folder", id: "f1" } });
  const renamed = { ...folder, name: "Job" };
  assert.deepEqual(chatReducer(created, { type: "folder/saved", folder: renamed }), {
    ...created,
    folders: [renamed],
  });
  assert.deepEqual(chatReducer(created, { type: "folder/deleted", id: "f1" }), {
    ...s,
    folders: [],
    view: { kind: "all" },
  });
  assert.equal(sameView({ kind: "folder", id: "a" }, { kind: "folder", id: "a" }), true);
  assert.equal(sameView({ kind: "folder", id: "a" }, { kind: "folder", id: "b" }), false);
  assert.equal(sameView({ kind: "all" }, { kind: "archived" }), false);
});

Deno.test("a new chat: creating, created (URL row first), or failed (idle again with the reason)", () => {
  const s = fresh();
  const creating = chatReducer(s, { type: "conversation/creating" });
  assert.deepEqual(creating, { ...s, reply: { phase: "creating" } });
  assert.equal(isBusy(creating), true);
  assert.equal(isStreaming(creating), false);
  const created = chatReducer(creating, {
    type: "conversation/created",
    conversation: {
      id: C2,
      title: "New chat",
      updatedAt: "2026-01-03T00:00:00.000Z",
      systemPrompt: "P",
      model: "m",
    },
  });
  assert.deepEqual(created, {
    ...creating,
    meta: { id: C2, title: "New chat", systemPrompt: "P", model: "m" },
    conversations: [{ id: C2, title: "New chat", updatedAt: "2026-01-03T00:00:00.000Z" }],
  });
  assert.deepEqual(chatReducer(creating, { type: "conversation/create-failed", message: "No database" }), {
    ...s,
    notice: "No database",
  });
});

Deno.test("rename, delete and refresh of conversations", () => {
  const s = open();
  assert.deepEqual(chatReducer(s, { type: "conversation/renamed", id: C1, title: "Hello" }), {
    ...s,
    conversations: [{ ...s.conversations[0], title: "Hello" }],
    meta: { ...s.meta!, title: "Hello" },
  });
  // Deleting another conversation keeps the open one.
  const two = { ...s, conversations: [...s.conversations, { id: C2, title: "B", updatedAt: "x" }] };
  assert.deepEqual(chatReducer(two, { type: "conversation/deleted", id: C2 }), s);
  assert.deepEqual(chatReducer(s, { type: "conversation/deleted", id: C1 }), {
    ...s,
    conversations: [],
    meta: null,
    messages: [],
  });
  const fromOtherTab = [user(U1, "Hi"), reply(A2, "Other tab", "streaming")];
  assert.deepEqual(
    chatReducer(s, { type: "conversation/refreshed", conversationId: C1, messages: fromOtherTab }),
    {
      ...s,
      messages: fromOtherTab,
    },
  );
  assert.equal(chatReducer(s, { type: "conversation/refreshed", conversationId: C2, messages: [] }), s);
});

Deno.test("settings: saved on the open conversation, or kept as the draft of a new one", () => {
  const s = { ...open(), settingsOpen: true };
  assert.deepEqual(
    chatReducer(s, { type: "settings/saved", conversationId: C1, systemPrompt: "Be terse.", model: "m2" }),
    { ...s, settingsOpen: false, meta: { ...s.meta!, systemPrompt: "Be terse.", model: "m2" } },
  );
  assert.deepEqual(
    chatReducer(s, { type: "settings/saved", conversationId: C2, systemPrompt: "x", model: null }),
    { ...s, settingsOpen: false },
  );
  const draft = { ...fresh(), settingsOpen: true };
  const saved = chatReducer(draft, {
    type: "draft/saved",
    settings: { systemPrompt: "Rhyme.", model: "m3" },
  });
  assert.deepEqual(saved, {
    ...draft,
    settingsOpen: false,
    draftTouched: true,
    draft: { systemPrompt: "Rhyme.", model: "m3" },
  });
  assert.deepEqual(settingsOf(saved), { systemPrompt: "Rhyme.", model: "m3" });
  assert.deepEqual(settingsOf(s), s.meta);
});

Deno.test("send → tokens → done → synced → settled", () => {
  const s = { ...open(), text: "How are you?", notice: "old", editingId: U1, follow: false };
  const sent = user("local-1", "How are you?");
  const started = chatReducer(s, {
    type: "reply/started",
    conversationId: C1,
    replyId: "local-2",
    start: { kind: "send", user: sent },
    restoreText: "How are you?",
  });
  assert.deepEqual(started, {
    ...s,
    text: "",
    notice: null,
    editingId: null,
    follow: true,
    announcement: "Mini-Claude is writing a reply…",
    messages: [...s.messages, sent, reply("local-2", "", "streaming")],
    reply: {
      phase: "streaming",
      kind: "run",
      conversationId: C1,
      replyId: "local-2",
      messageId: null,
      stopRequested: false,
      text: "",
      before: s.messages,
      restoreText: "How are you?",
    },
  });
  assert.equal(isStreaming(started), true);
  const named = chatReducer(started, { type: "reply/named", messageId: A2 });
  assert.equal(named.reply?.phase === "streaming" && named.reply.messageId, A2);
  const streamed = run(named, { type: "reply/token", text: "Fine, " }, {
    type: "reply/token",
    text: "**thanks**.",
  });
  assert.deepEqual(streamed.messages.at(-1), reply("local-2", "Fine, **thanks**.", "streaming"));
  assert.equal(streamed.reply?.phase === "streaming" && streamed.reply.text, "Fine, **thanks**.");
  // Other messages keep their identity (their views do not re-render).
  assert.equal(streamed.messages[0], s.messages[0]);

  const ended = chatReducer(streamed, {
    type: "reply/ended",
    end: { kind: "done", messageId: A2, status: "complete" },
  });
  assert.deepEqual(ended, {
    ...streamed,
    reply: { phase: "settling", kind: "run", finished: { id: A2, text: "Fine, **thanks**." } },
    announcement: "Mini-Claude replied: Fine, thanks.",
    messages: [...s.messages, sent, { ...reply("local-2", "Fine, **thanks**."), error: undefined }],
  });
  assert.equal(isBusy(ended), true);
  const stored = conversation(C1, [
    ...s.messages,
    user("u2", "How are you?"),
    reply(A2, "Fine, **thanks**."),
  ]);
  const synced = chatReducer(ended, {
    type: "reply/synced",
    conversation: { ...stored, title: "Small talk" },
    end: { kind: "done", messageId: A2, status: "complete" },
    errorId: "local-3",
  });
  assert.deepEqual(synced, {
    ...ended,
    messages: stored.messages,
    meta: { id: C1, title: "Small talk", systemPrompt: "", model: null },
  });
  const settled = chatReducer(synced, { type: "reply/settled" });
  assert.deepEqual(settled, {
    ...synced,
    reply: null,
    focus: { kind: "composer" },
    voiceRequest: { kind: "reply-done", reply: { id: A2, text: "Fine, **thanks**." } },
  });
  assert.equal(chatReducer(settled, { type: "focus/done" }).focus, null);
});

Deno.test("a refused request puts the messages and the text back and says why", () => {
  const s = { ...open(), text: "Too much" };
  const started = chatReducer(s, {
    type: "reply/started",
    conversationId: C1,
    replyId: "local-2",
    start: { kind: "send", user: user("local-1", "Too much") },
    restoreText: "Too much",
  });
  const ended = chatReducer(started, {
    type: "reply/ended",
    end: { kind: "error", code: "rate_limited", message: "Slow down.", messageId: null, refused: true },
  });
  assert.deepEqual(ended, {
    ...started,
    reply: { phase: "settling", kind: "run", finished: null },
    messages: s.messages,
    text: "Too much",
    notice: "Slow down.",
    announcement: "The reply failed. Slow down.",
  });
});

Deno.test("an error mid-stream keeps the partial text with the error; a stream without an id adds one", () => {
  const s = open();
  const end = {
    kind: "error" as const,
    code: "provider",
    message: "The model failed.",
    messageId: A2,
    refused: false,
  };
  const streamed = run(
    s,
    { type: "reply/started", conversationId: C1, replyId: "local-1", start: { kind: "regenerate" } },
    { type: "reply/token", text: "Part" },
    { type: "reply/ended", end },
  );
  assert.deepEqual(streamed.messages, [
    s.messages[0],
    { ...reply("local-1", "Part", "error"), error: "The model failed." },
  ]);
  assert.equal(streamed.announcement, "The reply failed. The model failed.");
  const stored = conversation(C1, [s.messages[0], reply(A2, "Part", "error")]);
  assert.deepEqual(
    chatReducer(streamed, { type: "reply/synced", conversation: stored, end, errorId: "local-9" }).messages,
    [s.messages[0], { ...reply(A2, "Part", "error"), error: "The model failed." }],
  );
  const noId = { ...end, messageId: null };
  assert.deepEqual(
    chatReducer(streamed, {
      type: "reply/synced",
      conversation: conversation(),
      end: noId,
      errorId: "local-9",
    })
      .messages,
    [...conversation().messages, { ...reply("local-9", "", "error"), error: "The model failed." }],
  );
});

Deno.test("Stop: asked once, before or after the id is known; a failed stop can be retried", () => {
  const s = run(open(), {
    type: "reply/started",
    conversationId: C1,
    replyId: "local-1",
    start: { kind: "regenerate", messageId: A1 },
  });
  assert.deepEqual(s.messages, [user(U1, "Hi"), reply("local-1", "", "streaming")]);
  const asked = chatReducer(s, { type: "reply/stop-requested" });
  assert.equal(asked.reply?.phase === "streaming" && asked.reply.stopRequested, true);
  assert.equal(chatReducer(asked, { type: "reply/stop-requested" }), asked);
  const failed = chatReducer(asked, { type: "reply/stop-failed", message: "offline" });
  assert.deepEqual(failed, { ...s, notice: "Stop failed: offline" });
  const stopped = run(asked, { type: "reply/token", text: "Par" }, {
    type: "reply/ended",
    end: { kind: "done", messageId: A2, status: "stopped" },
  });
  assert.deepEqual(stopped.messages.at(-1), { ...reply("local-1", "Par", "stopped"), error: undefined });
  assert.equal(stopped.announcement, "Mini-Claude replied: Par.");
  assert.equal(endStatus({ kind: "stopped", messageId: null }), "stopped");
  assert.equal(
    chatReducer(s, { type: "reply/ended", end: { kind: "stopped", messageId: null } }).announcement,
    "The reply was stopped.",
  );
  // Without a reply there is nothing to stop.
  const idle = open();
  assert.equal(chatReducer(idle, { type: "reply/stop-requested" }), idle);
});

Deno.test("regenerate without an id, edit and continue show what the server will answer", () => {
  const s = {
    ...open(),
    messages: [user(U1, "Hi"), reply(A1, "Hello!"), user("u2", "More"), reply(A2, "Sure")],
  };
  const regen = chatReducer(s, {
    type: "reply/started",
    conversationId: C1,
    replyId: "local-1",
    start: { kind: "regenerate" },
  });
  assert.deepEqual(regen.messages, [...s.messages.slice(0, 3), reply("local-1", "", "streaming")]);
  assert.equal(regen.text, s.text);
  const edited = user("local-2", "Less");
  const edit = chatReducer(s, {
    type: "reply/started",
    conversationId: C1,
    replyId: "local-3",
    start: { kind: "edit", messageId: "u2", user: edited },
  });
  assert.deepEqual(edit.messages, [...s.messages.slice(0, 2), edited, reply("local-3", "", "streaming")]);
  const more = chatReducer(s, {
    type: "reply/started",
    conversationId: C1,
    replyId: A2,
    start: { kind: "continue", messageId: A2 },
  });
  assert.deepEqual(more.messages, [...s.messages.slice(0, 3), reply(A2, "Sure", "streaming")]);
  const grown = run(more, { type: "reply/token", text: " thing" });
  assert.deepEqual(grown.messages.at(-1), reply(A2, "Sure thing", "streaming"));
  // A second reply does not start while one streams.
  const again: ChatAction = {
    type: "reply/started",
    conversationId: C1,
    replyId: "x",
    start: { kind: "regenerate" },
  };
  assert.equal(chatReducer(more, again), more);
});

Deno.test("send during a reply queues; the queue is taken in order and can be cancelled", () => {
  const streaming = run({ ...open(), text: "Next question" }, {
    type: "reply/started",
    conversationId: C1,
    replyId: "local-1",
    start: { kind: "regenerate" },
  });
  assert.equal(streaming.text, "Next question");
  const queued = run(
    streaming,
    { type: "queue/added", id: "q1", content: "Next question" },
    { type: "composer/changed", text: "And another" },
    { type: "queue/added", id: "q2", content: "And another" },
  );
  assert.deepEqual(queued.queue, [{ id: "q1", content: "Next question" }, {
    id: "q2",
    content: "And another",
  }]);
  assert.equal(queued.text, "");
  assert.deepEqual(chatReducer(queued, { type: "queue/cancelled", id: "q1" }).queue, [{
    id: "q2",
    content: "And another",
  }]);
  const taken = chatReducer(queued, { type: "queue/taken" });
  assert.deepEqual(taken.queue, [{ id: "q2", content: "And another" }]);
  const empty = { ...open(), queue: [] };
  assert.equal(chatReducer(empty, { type: "queue/taken" }), empty);
});

Deno.test("switching conversation mid-reply: the old reply's read-back and versions are not shown", () => {
  const s = run(open(), {
    type: "reply/started",
    conversationId: C1,
    replyId: "local-1",
    start: { kind: "regenerate" },
  }, { type: "reply/token", text: "Hel" });
  // The conversation is deleted from the sidebar: the view empties, the stream's end changes nothing shown.
  const gone = chatReducer(s, { type: "conversation/deleted", id: C1 });
  assert.equal(gone.meta, null);
  assert.deepEqual(gone.messages, []);
  const ended = chatReducer(gone, { type: "reply/ended", end: { kind: "stopped", messageId: null } });
  assert.deepEqual(ended.messages, []);
  assert.equal(
    chatReducer(ended, {
      type: "reply/synced",
      conversation: conversation(),
      end: { kind: "stopped", messageId: null },
      errorId: "local-2",
    }),
    ended,
  );
  assert.deepEqual(chatReducer(ended, { type: "reply/settled" }), {
    ...ended,
    reply: null,
    focus: { kind: "composer" },
  });
  // Answers about another conversation than the open one are dropped.
  const other = { ...open(), meta: { ...open().meta!, id: C2 } };
  assert.equal(
    chatReducer(other, {
      type: "branch/shown",
      conversationId: C1,
      messages: [],
      targetId: A1,
      direction: "next",
    }),
    other,
  );
  assert.equal(chatReducer(other, { type: "reply/revised", conversationId: C1, messages: [] }), other);
  assert.equal(
    chatReducer(other, { type: "branch/revealed", conversation: conversation(C1), hash: "#m-x" }),
    other,
  );
});

Deno.test("reload during a reply: the page follows it; tokens grow it; it settles without announcing", () => {
  const s = {
    ...initialChatState(
      props({ conversation: conversation(C1, [user(U1, "Hi"), reply(A2, "Hal", "streaming")]) }),
    ),
    ready: true,
  };
  const following = chatReducer(s, { type: "reply/followed", conversationId: C1, messageId: A2 });
  assert.deepEqual(following.reply, {
    phase: "streaming",
    kind: "follow",
    conversationId: C1,
    replyId: A2,
    messageId: A2,
    stopRequested: false,
    text: "",
    before: s.messages,
    restoreText: null,
  });
  assert.equal(
    chatReducer(following, { type: "reply/followed", conversationId: C1, messageId: A2 }),
    following,
  );
  const grown = chatReducer(following, { type: "reply/token", text: "lo" });
  assert.deepEqual(grown.messages.at(-1), reply(A2, "Hallo", "streaming"));
  const ended = chatReducer(grown, {
    type: "reply/ended",
    end: { kind: "done", messageId: A2, status: "complete" },
  });
  assert.deepEqual(ended, { ...grown, reply: { phase: "settling", kind: "follow", finished: null } });
  const synced = chatReducer(ended, {
    type: "reply/synced",
    conversation: conversation(C1, [user(U1, "Hi"), reply(A2, "Hallo")]),
    end: { kind: "done", messageId: A2, status: "complete" },
    errorId: "local-1",
  });
  assert.deepEqual(synced.messages.at(-1), reply(A2, "Hallo"));
  assert.deepEqual(chatReducer(synced, { type: "reply/settled" }), { ...synced, reply: null });
  // Another tab's changes are not applied over this tab's own reply.
  assert.equal(
    chatReducer(following, { type: "conversation/refreshed", conversationId: C1, messages: [] }),
    following,
  );
});

Deno.test("versions: switch (focus on the switcher), revise (editor closes), reveal a linked message", () => {
  const s = { ...open(), editingId: A1 };
  const versions = [user(U1, "Hi"), { ...reply(A2, "Hey"), siblingIds: [A1, A2] }];
  assert.deepEqual(
    chatReducer(s, {
      type: "branch/shown",
      conversationId: C1,
      messages: versions,
      targetId: A2,
      direction: "next",
    }),
    { ...s, messages: versions, focus: { kind: "branch", messageId: A2, direction: "next" } },
  );
  assert.deepEqual(chatReducer(s, { type: "reply/revised", conversationId: C1, messages: versions }), {
    ...s,
    editingId: null,
    messages: versions,
  });
  const shown = { ...conversation(C1, versions), title: "Renamed" };
  const revealed = chatReducer(s, { type: "branch/revealed", conversation: shown, hash: `#m-${A2}` });
  assert.deepEqual(revealed, {
    ...s,
    messages: versions,
    meta: { ...s.meta!, title: "Renamed" },
    pendingReveal: `#m-${A2}`,
    follow: false,
  });
  assert.deepEqual(chatReducer(revealed, { type: "reveal/done" }), { ...revealed, pendingReveal: null });
});

Deno.test("editing: start, cancel (focus back to Edit)", () => {
  const s = open();
  const editing = chatReducer(s, { type: "edit/started", messageId: U1 });
  assert.deepEqual(editing, { ...s, editingId: U1 });
  assert.deepEqual(chatReducer(editing, { type: "edit/cancelled" }), {
    ...s,
    focus: { kind: "edit-button", messageId: U1 },
  });
});

Deno.test("composer: typing, dictation joins the text and focuses the composer, notices", () => {
  const s = open();
  assert.deepEqual(chatReducer(s, { type: "composer/changed", text: "Hel" }), { ...s, text: "Hel" });
  assert.deepEqual(chatReducer(s, { type: "composer/inserted", text: "hello" }), {
    ...s,
    text: "hello",
    focus: { kind: "composer" },
  });
  assert.equal(
    run(s, { type: "composer/changed", text: "Say  " }, { type: "composer/inserted", text: "hi" }).text,
    "Say hi",
  );
  const noticed = chatReducer(s, { type: "notice/shown", notice: "Too long" });
  assert.deepEqual(noticed, { ...s, notice: "Too long" });
  assert.equal(chatReducer(noticed, { type: "notice/shown", notice: "Too long" }), noticed);
  assert.deepEqual(chatReducer(noticed, { type: "notice/shown", notice: null }), s);
});

Deno.test("panels, scrolling and dragging", () => {
  const s = open();
  const opened = chatReducer(s, { type: "sidebar/opened" });
  assert.deepEqual(opened, { ...s, sidebarOpen: true });
  assert.equal(chatReducer(opened, { type: "sidebar/opened" }), opened);
  assert.deepEqual(chatReducer(opened, { type: "sidebar/closed" }), s);
  assert.equal(chatReducer(s, { type: "sidebar/closed" }), s);
  const settings = chatReducer(s, { type: "settings/toggled" });
  assert.deepEqual(settings, { ...s, settingsOpen: true });
  assert.deepEqual(chatReducer(settings, { type: "settings/toggled" }), s);
  assert.deepEqual(chatReducer(settings, { type: "settings/closed" }), s);
  assert.equal(chatReducer(s, { type: "settings/closed" }), s);
  const up = chatReducer(s, { type: "scroll/moved", atBottom: false });
  assert.deepEqual(up, { ...s, follow: false, atBottom: false });
  assert.equal(chatReducer(up, { type: "scroll/moved", atBottom: false }), up);
  assert.deepEqual(chatReducer(up, { type: "scroll/jumped" }), s);
  assert.deepEqual(chatReducer(s, { type: "drag/changed", dragging: true }), { ...s, dragging: true });
  assert.equal(chatReducer(s, { type: "drag/changed", dragging: false }), s);
});

Deno.test("selectors: last user message, last reply, parent of the next message", () => {
  const s = open();
  assert.equal(lastUserIndex(s), 0);
  assert.equal(lastReplyIndex(s), 1);
  assert.equal(parentOfNext(s), A1);
  const local = { ...s, messages: [...s.messages, user("local-1", "x")] };
  assert.equal(lastReplyIndex(local), -1);
  assert.equal(parentOfNext(local), undefined);
  assert.equal(parentOfNext(fresh()), undefined);
  assert.equal(lastUserIndex(fresh()), -1);
});

Deno.test("store: dispatch applies the reducer, subscribers hear changes only", () => {
  const store = createStore(chatReducer, open());
  let calls = 0;
  const off = store.subscribe(() => calls++);
  store.dispatch({ type: "sidebar/opened" });
  store.dispatch({ type: "sidebar/opened" });
  assert.equal(calls, 1);
  assert.equal(store.getState().sidebarOpen, true);
  off();
  store.dispatch({ type: "sidebar/closed" });
  assert.equal(calls, 1);
  assert.equal(store.getState().sidebarOpen, false);
});

Deno.test("composer files: added, uploaded, failed, removed, taken by a send, restored after a refusal", () => {
  const s = open();
  const png = { key: "file-1", id: null, name: "a.png", mimeType: "image/png", size: 10 };
  const pdf = { key: "file-2", id: null, name: "b.pdf", mimeType: "application/pdf", size: 20 };
  const added = run(s, { type: "files/added", file: png }, { type: "files/added", file: pdf });
  assert.deepEqual(added, { ...s, files: [png, pdf] });
  assert.equal(filesUploading(added), true);
  assert.deepEqual(uploadedFiles(added), []);
  const saved = { id: "f-a", name: "a.png", mimeType: "image/png", size: 10 };
  const uploaded = chatReducer(added, { type: "files/uploaded", key: "file-1", file: saved });
  assert.deepEqual(uploaded, { ...s, files: [{ ...png, id: "f-a" }, pdf] });
  assert.deepEqual(uploadedFiles(uploaded), [saved]);
  const failed = chatReducer(uploaded, { type: "files/failed", key: "file-2", notice: "Too large." });
  assert.deepEqual(failed, { ...s, files: [{ ...png, id: "f-a" }], notice: "Too large." });
  assert.equal(filesUploading(failed), false);
  assert.deepEqual(chatReducer(uploaded, { type: "files/removed", key: "file-1" }), { ...s, files: [pdf] });
  const taken = chatReducer(failed, { type: "files/taken" });
  assert.deepEqual(taken.files, []);
  assert.equal(chatReducer(taken, { type: "files/taken" }), taken);
  const later = chatReducer(taken, { type: "files/added", file: pdf });
  assert.deepEqual(
    chatReducer(later, { type: "files/restored", files: [{ ...saved, key: "file-3" }] }).files,
    [{ ...saved, key: "file-3" }, pdf],
  );
});

Deno.test("voice requests: Speak, and a completed reply for auto-speak; a stopped one is not spoken", () => {
  const s = open();
  const speak = chatReducer(s, { type: "speak/requested", reply: { id: A1, text: "Hello!" } });
  assert.deepEqual(speak, { ...s, voiceRequest: { kind: "speak", reply: { id: A1, text: "Hello!" } } });
  assert.deepEqual(chatReducer(speak, { type: "voice/done" }), s);
  assert.equal(chatReducer(s, { type: "voice/done" }), s);
  const stopped = run(
    s,
    { type: "reply/started", conversationId: C1, replyId: "local-1", start: { kind: "regenerate" } },
    { type: "reply/token", text: "Hi" },
    { type: "reply/ended", end: { kind: "done", messageId: A2, status: "stopped" } },
    { type: "reply/settled" },
  );
  assert.equal(stopped.voiceRequest, null);
  const done = run(
    s,
    { type: "reply/started", conversationId: C1, replyId: "local-1", start: { kind: "regenerate" } },
    { type: "reply/token", text: "Hi" },
    { type: "reply/ended", end: { kind: "done", messageId: null, status: "complete" } },
    { type: "reply/settled" },
  );
  assert.deepEqual(done.voiceRequest, { kind: "reply-done", reply: { id: "local-1", text: "Hi" } });
});
