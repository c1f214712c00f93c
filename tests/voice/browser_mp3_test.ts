/** The stub's silent MP3 really plays in Chromium (the audio element reaches `playing` and `ended`). */
import assert from "node:assert/strict";
import { browserAvailable, launchBrowser } from "../_helpers/browser.ts";
import { silentMp3 } from "../stubs/elevenlabs_server.ts";

const ok = browserAvailable("voice-browser");

Deno.test({
  name: "browser: Chromium plays the stub's MP3 to the end",
  ignore: !ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const mp3 = silentMp3(40); // 0.96 s
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
      if (new URL(req.url).pathname === "/a.mp3") {
        return new Response(mp3, { headers: { "content-type": "audio/mpeg" } });
      }
      return new Response("<!doctype html><title>mp3</title>", { headers: { "content-type": "text/html" } });
    });
    const url = `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`;
    const browser = await launchBrowser(["--autoplay-policy=no-user-gesture-required"]);
    try {
      const page = await browser.newPage();
      await page.goto(url);
      await page.evaluate(async () => {
        const audio = new Audio("/a.mp3");
        const w = globalThis as unknown as { __audio: HTMLAudioElement; __seen: string[] };
        w.__audio = audio;
        w.__seen = [];
        for (const e of ["playing", "ended", "error"]) audio.addEventListener(e, () => w.__seen.push(e));
        await audio.play();
      });
      // Wait for the clip to end (or fail), however long a loaded machine takes to play it.
      await page.waitForFunction(() => {
        const seen = (globalThis as unknown as { __seen: string[] }).__seen;
        return seen.includes("ended") || seen.includes("error");
      });
      const events = await page.evaluate(() => {
        const w = globalThis as unknown as { __audio: HTMLAudioElement; __seen: string[] };
        return { seen: w.__seen, duration: w.__audio.duration };
      });
      assert.deepEqual(events.seen, ["playing", "ended"]);
      assert.ok(Math.abs(events.duration - 0.96) < 0.1, `duration ${events.duration}`);
    } finally {
      await browser.close();
      await server.shutdown();
    }
  },
});
