/**
 * SIGTERM while replies stream: the real entry point (`deno run -A main.ts`) in a child process
 * stops its streams, stores each partial reply as `stopped`, and exits 0 within a few seconds.
 * The database is checked afterwards from this process.
 */
import assert from "node:assert/strict";
import { openDatabase } from "../../lib/db/mod.ts";
import { ApiClient } from "../_helpers/api_client.ts";
import { freshDataDir } from "../_helpers/pglite_template.ts";
import { parseSse } from "../_helpers/sse.ts";
import { startGeminiStub } from "../stubs/gemini_server.ts";

const KEY = "k-sigterm-12345";

Deno.test({
  name: "SIGTERM during streams: replies stored as stopped, exit 0 within seconds",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const stub = await startGeminiStub({ apiKey: KEY, tokenDelayMs: 100, replyTokens: 200 });
    const dataDir = await freshDataDir();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../../main.ts", import.meta.url).pathname],
      env: {
        PORT: "0",
        LISTEN_HOST: "127.0.0.1",
        LOG_LEVEL: "warn",
        DATA_DIR: dataDir,
        GEMINI_API_KEY: KEY,
        GEMINI_BASE_URL: stub.url,
      },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stdout = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const stderr = new Response(child.stderr).text();
    try {
      let out = "";
      while (!/listening on (\S+)/.test(out)) {
        const { value, done } = await stdout.read();
        if (done) throw new Error(`app exited before listening: ${out} ${await stderr}`);
        out += value;
      }
      const url = /listening on (\S+)/.exec(out)![1];
      const collect = (async () => {
        while (true) {
          const { value, done } = await stdout.read();
          if (done) return out;
          out += value;
        }
      })();

      const streams = await Promise.all([0, 1, 2].map(async (i) => {
        const client = new ApiClient(url);
        const { body: conv } = await client.json<{ id: string }>("/api/conversations", {
          method: "POST",
          json: {},
        });
        const res = await client.fetch(`/api/conversations/${conv.id}/messages`, {
          method: "POST",
          json: { content: `stream ${i} please` },
        });
        assert.equal(res.status, 200);
        const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
        let text = "";
        while ((text.match(/event: token/g) ?? []).length < 3) text += (await reader.read()).value ?? "";
        return { conv: conv.id, reader, text };
      }));

      const killedAt = performance.now();
      child.kill("SIGTERM");
      const ends = await Promise.all(streams.map(async (s) => {
        while (true) {
          const { value, done } = await s.reader.read().catch(() => ({ value: "", done: true }));
          if (done) break;
          s.text += value;
        }
        return parseSse(s.text).at(-1)!;
      }));
      const status = await child.status;
      const seconds = (performance.now() - killedAt) / 1000;
      assert.equal(status.code, 0, `exit code ${status.code}: ${await stderr}`);
      assert.ok(seconds < 5, `exited after ${seconds.toFixed(2)} s`);
      console.log(`SIGTERM with 3 open streams: exit 0 after ${seconds.toFixed(2)} s`);
      assert.match(await collect, /SIGTERM: shutting down/);
      for (const end of ends) {
        assert.equal(end.event, "done");
        assert.equal(end.data.status, "stopped");
      }

      const db = await openDatabase({ dataDir });
      try {
        for (let i = 0; i < streams.length; i++) {
          const rows = await db.sql`
            select m.role, m.content, m.status from messages m
            where m.conversation_id = ${streams[i].conv} order by m.seq`;
          assert.equal(rows.length, 2);
          assert.deepEqual([rows[0].role, rows[0].content, rows[0].status], [
            "user",
            `stream ${i} please`,
            "complete",
          ]);
          assert.equal(rows[1].role, "assistant");
          assert.equal(rows[1].status, "stopped");
          const sent = parseSse(streams[i].text).filter((e) => e.event === "token").map((e) => e.data.text)
            .join("");
          assert.equal(rows[1].content, sent, "the stored text is exactly what the client received");
          assert.match(rows[1].content, /^Echo: stream/);
        }
      } finally {
        await db.close();
      }
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* already exited */ }
      await child.status;
      await stub.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
