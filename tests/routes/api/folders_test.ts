import assert from "node:assert/strict";
import { ApiClient } from "../../_helpers/api_client.ts";
import { startTestServer } from "../../_helpers/app_server.ts";

type Folder = {
  id: string;
  name: string;
  systemPrompt: string;
  model: string | null;
  conversationCount: number;
};
type Conv = {
  id: string;
  title: string;
  systemPrompt: string;
  model: string | null;
  folderId: string | null;
  pinned: boolean;
  archived: boolean;
};
type Failure = { error: { code: string; message: string } };

Deno.test({
  name: "folders, pin/archive and paged conversation list over HTTP, scoped to the session",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    // A Gemini key makes its (static) model list the allowlist for folder models; the model is never called.
    const server = await startTestServer({
      GEMINI_API_KEY: "folders-test-key",
      GEMINI_BASE_URL: "http://127.0.0.1:9",
    });
    try {
      const alice = new ApiClient(server.url);
      const bob = new ApiClient(server.url);
      await alice.fetch("/").then((r) => r.body?.cancel());
      await bob.fetch("/").then((r) => r.body?.cancel());
      let folder: Folder;

      await t.step("create a folder; new conversations in it take its prompt and model", async () => {
        const created = await alice.json<Folder>("/api/folders", {
          method: "POST",
          json: { name: "Research", systemPrompt: "Cite sources.", model: "gemini-2.5-pro" },
        });
        assert.equal(created.status, 201);
        folder = created.body;
        const conv = await alice.json<Conv>("/api/conversations", {
          method: "POST",
          json: { folderId: folder.id },
        });
        assert.equal(conv.status, 201);
        assert.deepEqual([conv.body.folderId, conv.body.systemPrompt, conv.body.model], [
          folder.id,
          "Cite sources.",
          "gemini-2.5-pro",
        ]);
        const list = await alice.json<Folder[]>("/api/folders");
        assert.deepEqual(list.body.map((f) => [f.name, f.conversationCount]), [["Research", 1]]);
      });

      await t.step("rename, move, pin, archive; list filters", async () => {
        const renamed = await alice.json<Folder>(`/api/folders/${folder.id}`, {
          method: "PATCH",
          json: { name: "Papers" },
        });
        assert.equal(renamed.body.name, "Papers");
        const c =
          (await alice.json<Conv>("/api/conversations", { method: "POST", json: { title: "Loose" } })).body;
        const moved = await alice.json<Conv>(`/api/conversations/${c.id}`, {
          method: "PATCH",
          json: { folderId: folder.id, pinned: true },
        });
        assert.deepEqual([moved.status, moved.body.folderId, moved.body.pinned], [200, folder.id, true]);
        const inFolder = await alice.json<Conv[]>(`/api/conversations?folder=${folder.id}`);
        assert.equal(inFolder.body.length, 2);
        const pinned = await alice.json<Conv[]>("/api/conversations?pinned=true");
        assert.deepEqual(pinned.body.map((x) => x.title), ["Loose"]);
        await alice.json(`/api/conversations/${c.id}`, { method: "PATCH", json: { archived: true } });
        const archived = await alice.json<Conv[]>("/api/conversations?archived=true");
        assert.deepEqual(archived.body.map((x) => [x.title, x.archived]), [["Loose", true]]);
        const active = await alice.json<Conv[]>("/api/conversations?archived=false");
        assert.ok(active.body.every((x) => !x.archived));
      });

      await t.step("another session: folders are 404, cannot move into them, lists are empty", async () => {
        assert.equal((await bob.json<Failure>(`/api/folders/${folder.id}`)).status, 404);
        const patch = await bob.json<Failure>(`/api/folders/${folder.id}`, {
          method: "PATCH",
          json: { name: "x" },
        });
        assert.deepEqual([patch.status, patch.body.error.code], [404, "not_found"]);
        assert.equal((await bob.fetch(`/api/folders/${folder.id}`, { method: "DELETE" })).status, 404);
        const mine = (await bob.json<Conv>("/api/conversations", { method: "POST", json: {} })).body;
        const into = await bob.json<Failure>(`/api/conversations/${mine.id}`, {
          method: "PATCH",
          json: { folderId: folder.id },
        });
        assert.deepEqual([into.status, into.body.error.code], [404, "not_found"]);
        const create = await bob.json<Failure>("/api/conversations", {
          method: "POST",
          json: { folderId: folder.id },
        });
        assert.equal(create.status, 404);
        assert.deepEqual((await bob.json<Folder[]>("/api/folders")).body, []);
        assert.deepEqual((await bob.json<Conv[]>(`/api/conversations?folder=${folder.id}`)).body, []);
      });

      await t.step("bad input is a 400 naming the field", async () => {
        for (
          const [path, init, pattern] of [
            ["/api/folders", { method: "POST", json: { name: " " } }, /name/],
            ["/api/folders", { method: "POST", json: { name: "x", extra: 1 } }, /extra|Unrecognized/i],
            [`/api/folders/${folder.id}`, { method: "PATCH", json: {} }, /at least one/],
            ["/api/conversations?limit=0", {}, /limit/],
            ["/api/conversations?before=abc", {}, /before/],
            ["/api/conversations?folder=nope", {}, /folder/],
            ["/api/conversations?archived=maybe", {}, /archived/],
          ] as const
        ) {
          const res = await alice.json<Failure>(path, init as RequestInit & { json?: unknown });
          assert.equal(res.status, 400, path);
          assert.match(res.body.error.message, pattern, path);
        }
        const c = (await alice.json<Conv[]>("/api/conversations")).body[0];
        const res = await alice.json<Failure>(`/api/conversations/${c.id}`, {
          method: "PATCH",
          json: { pinned: "yes" },
        });
        assert.equal(res.status, 400);
      });

      await t.step("paging: x-next-cursor walks the whole list once", async () => {
        for (let i = 0; i < 5; i++) {
          await alice.json("/api/conversations", { method: "POST", json: { title: `p${i}` } });
        }
        const all = (await alice.json<Conv[]>("/api/conversations?limit=500")).body.map((c) => c.id);
        const seen: string[] = [];
        let next: string | null = "";
        while (next !== null) {
          const res: Response = await alice.fetch(
            `/api/conversations?limit=2${next ? `&before=${next}` : ""}`,
          );
          seen.push(...((await res.json()) as Conv[]).map((c) => c.id));
          next = res.headers.get("x-next-cursor");
        }
        assert.deepEqual(seen, all);
        assert.equal(all.length, 7);
      });

      await t.step("deleting the folder keeps its conversations", async () => {
        assert.equal((await alice.fetch(`/api/folders/${folder.id}`, { method: "DELETE" })).status, 204);
        const list = (await alice.json<Conv[]>("/api/conversations")).body;
        assert.equal(list.length, 7);
        assert.ok(list.every((c) => c.folderId === null));
      });
    } finally {
      await server.close();
    }
  },
});
