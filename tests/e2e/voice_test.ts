/**
 * Voice in the chat page, in Chromium with a fake microphone that plays a phrase spoken by
 * espeak-ng: dictation into the composer, the Speak button playing the server's audio, the voice
 * menu, hands-free mode, and the browser fallbacks when the server has no ElevenLabs key.
 */
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { startTestServer, type TestServer } from "../_helpers/app_server.ts";
import { browserAvailable, launchBrowser, openPage } from "../_helpers/browser.ts";
import { requireSuite } from "../_helpers/suites.ts";
import { espeakMissing, writeSpeechWav } from "../fixtures/audio/speech_wav.ts";
import { type ElevenLabsStub, startElevenLabsStub, STUB_VOICES } from "../stubs/elevenlabs_server.ts";
import { type GeminiStub, startGeminiStub } from "../stubs/gemini_server.ts";
import { readMessages, sendMessage, waitIdle } from "./_chat_fixture.ts";

const ok = browserAvailable("browser: voice") && requireSuite("browser: voice", await espeakMissing());
const SPOKEN = "what is the weather";

/** Records media events of the page's audio element and the hands-free badge's states. */
function watchVoice(): void {
  const w = globalThis as unknown as { __media: string[]; __badges: string[] };
  w.__media = [];
  w.__badges = [];
  for (const type of ["play", "playing", "ended", "pause", "error"]) {
    document.addEventListener(type, (e) => {
      if ((e.target as Element).matches?.("audio.voice-audio")) w.__media.push(type);
    }, true);
  }
  let last = "";
  new MutationObserver(() => {
    const state = document.querySelector(".voice-badge")?.getAttribute("data-state") ?? "off";
    if (state !== last) w.__badges.push(last = state);
  }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
}

const media = (page: Page) => page.evaluate(() => (globalThis as unknown as { __media: string[] }).__media);
const badges = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { __badges: string[] }).__badges);

async function open(browser: Browser, server: TestServer, init: (() => void)[] = []) {
  const opened = await openPage(browser);
  await opened.page.addInitScript(watchVoice);
  for (const script of init) await opened.page.addInitScript(script);
  await opened.page.goto(server.url + "/");
  await opened.page.waitForSelector("html[data-hydrated=true]");
  return opened;
}

Deno.test({
  name: "voice: dictation, Speak, voice menu, auto-speak and hands-free against the ElevenLabs stub",
  ignore: !ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "mc-voice-e2e-" });
    const wav = `${dir}/speech.wav`;
    await writeSpeechWav(wav, SPOKEN, 2000);
    let gemini: GeminiStub | undefined;
    let eleven: ElevenLabsStub | undefined;
    let server: TestServer | undefined;
    let browser: Browser | undefined;
    try {
      gemini = await startGeminiStub({ apiKey: "voice-gemini-key" });
      eleven = await startElevenLabsStub({ apiKey: "voice-eleven-key", transcript: SPOKEN });
      server = await startTestServer({
        GEMINI_API_KEY: gemini.apiKey,
        GEMINI_BASE_URL: gemini.url,
        ELEVENLABS_API_KEY: "voice-eleven-key",
        ELEVENLABS_BASE_URL: eleven.url,
      });
      browser = await launchBrowser([
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        `--use-file-for-fake-audio-capture=${wav}`,
        "--autoplay-policy=no-user-gesture-required",
      ]);
      const stub = eleven;
      const { page, problems } = await open(browser, server);
      const input = page.locator("#composer-input");
      const requestsTo = (re: RegExp) => stub.requests.filter((r) => re.test(r.path));

      await t.step(
        "the microphone records, the server transcribes, the text lands in the composer",
        async () => {
          const mic = page.locator("button.mic-button");
          assert.equal(await mic.isDisabled(), false);
          await mic.click();
          await page.waitForSelector("button.mic-button.mic-recording[aria-pressed=true]");
          await page.waitForTimeout(1500);
          await mic.click();
          await page.waitForFunction(
            (text) => (document.querySelector("#composer-input") as HTMLTextAreaElement).value === text,
            SPOKEN,
          );
          const stt = requestsTo(/^\/v1\/speech-to-text$/);
          assert.equal(stt.length, 1);
          const file = stt[0].form?.file as { type: string; size: number };
          assert.match(file.type, /^audio\/webm/);
          assert.ok(file.size > 1000, `recording of ${file.size} bytes`);
          assert.equal(await page.locator("button.mic-button").getAttribute("aria-pressed"), "false");
        },
      );

      await t.step(
        "Speak fetches the reply's audio from the server and the audio element plays it",
        async () => {
          await input.press("Enter");
          await waitIdle(page);
          assert.deepEqual((await readMessages(page)).at(-1), ["assistant", "complete", `Echo: ${SPOKEN}`]);
          const before = requestsTo(/^\/v1\/text-to-speech\//).length;
          const speak = page.locator(".message-assistant").last().locator("button.speak");
          await speak.click();
          await page.waitForFunction(() =>
            (globalThis as unknown as { __media: string[] }).__media.includes("playing")
          );
          assert.equal(await speak.getAttribute("aria-pressed"), "true");
          assert.equal(await speak.textContent(), "Stop");
          const tts = requestsTo(/^\/v1\/text-to-speech\//).slice(before);
          assert.equal(tts.length, 1);
          // the reply is sent as speakable text (a final period added)
          assert.match((tts[0].json as { text: string }).text, /^Echo: what is the weather\.?$/);
          assert.match(tts[0].path, new RegExp(`/${STUB_VOICES[0].voice_id}(/stream)?$`));
          // the clip (25 characters, about 1.8 s of audio) plays to the end and the button resets
          await page.waitForFunction(() =>
            (globalThis as unknown as { __media: string[] }).__media.includes("ended")
          );
          await page.waitForSelector(".message-assistant button.speak[aria-pressed=false]");
          assert.deepEqual((await media(page)).filter((e) => e !== "pause"), ["play", "playing", "ended"]);
        },
      );

      await t.step("Stop ends playback early", async () => {
        const speak = page.locator(".message-assistant").last().locator("button.speak");
        await speak.click();
        await page.waitForFunction(() =>
          (globalThis as unknown as { __media: string[] }).__media.filter((e) => e === "playing").length === 2
        );
        await speak.click();
        await page.waitForSelector(".message-assistant button.speak[aria-pressed=false]");
        // The media element delivers `pause` asynchronously: wait for it rather than read the log at once.
        await page.waitForFunction(() =>
          (globalThis as unknown as { __media: string[] }).__media.at(-1) === "pause"
        );
        const log = await media(page);
        assert.ok(!log.slice(log.lastIndexOf("playing")).includes("ended"), "stopped before the clip ended");
      });

      await t.step(
        "the voice menu lists the server's voices; the choice is used and remembered",
        async () => {
          await page.locator(".voice-menu-toggle").click();
          await page.waitForSelector(`.voice-picker option[value="${STUB_VOICES[1].voice_id}"]`, {
            state: "attached",
          });
          assert.equal(requestsTo(/^\/v[12]\/voices$/).length, 1);
          await page.locator(".voice-picker").selectOption(STUB_VOICES[1].voice_id);
          await page.locator(".auto-speak").check();
          await page.locator(".voice-menu-toggle").click();
          // auto-speak: the next reply is spoken as it completes, with the chosen voice
          const before = requestsTo(/^\/v1\/text-to-speech\//).length;
          await sendMessage(page, "tell me more");
          await waitIdle(page);
          await page.waitForFunction(() =>
            (globalThis as unknown as { __media: string[] }).__media.filter((e) => e === "playing").length ===
              3
          );
          const tts = requestsTo(/^\/v1\/text-to-speech\//).slice(before);
          assert.equal(tts.length, 1);
          assert.match((tts[0].json as { text: string }).text, /^Echo: tell me more\.?$/);
          assert.match(tts[0].path, new RegExp(`/${STUB_VOICES[1].voice_id}(/stream)?$`));
          await page.keyboard.press("Escape"); // Esc stops speaking
          await page.waitForSelector(".message-assistant button.speak[aria-pressed=false]");
          await page.reload();
          await page.waitForSelector("html[data-hydrated=true]");
          await page.locator(".voice-menu-toggle").click();
          assert.equal(await page.locator(".auto-speak").isChecked(), true);
          assert.equal(await page.locator(".voice-picker").inputValue(), STUB_VOICES[1].voice_id);
          await page.locator(".auto-speak").uncheck();
          await page.locator(".voice-menu-toggle").click();
        },
      );

      await t.step(
        "hands-free: listening -> thinking -> speaking -> listening, and the way out",
        async () => {
          // A slow reply keeps "thinking" on screen long enough to be seen.
          stub.setTranscript(`[[stub:slow:40]] ${SPOKEN}`);
          const messagesBefore = (await readMessages(page)).length;
          await page.locator("button.handsfree-start").click();
          await page.waitForFunction(
            () => {
              const seen = (globalThis as unknown as { __badges: string[] }).__badges.join(" ");
              return /listening thinking speaking listening/.test(seen);
            },
            undefined,
            { timeout: 20_000 },
          );
          assert.equal(await page.locator(".voice-badge").textContent(), "Listening…");
          const messages = await readMessages(page);
          assert.deepEqual(messages.slice(messagesBefore), [
            ["user", "complete", `[[stub:slow:40]] ${SPOKEN}`],
            ["assistant", "complete", `Echo: ${SPOKEN}`],
          ]);
          await page.locator("button.handsfree-stop").click();
          await page.waitForSelector(".handsfree-bar", { state: "detached" });
          await page.waitForSelector("button.handsfree-start:not([disabled])");
          assert.equal(await page.locator("button.mic-button").getAttribute("aria-pressed"), "false");
          // Esc is the other way out
          await page.locator("button.handsfree-start").click();
          await page.waitForSelector(".voice-badge[data-state=listening]");
          await page.keyboard.press("Escape");
          await page.waitForSelector(".handsfree-bar", { state: "detached" });
          const seen = (await badges(page)).join(" ");
          assert.match(seen, /listening thinking speaking listening off listening off$/);
        },
      );

      assert.deepEqual(problems, []);
      assert.ok(stub.requests.every((r) => r.headers["xi-api-key"] === "voice-eleven-key"));
      const html = await page.content();
      assert.ok(!html.includes("voice-eleven-key"), "the key reached the page");
    } finally {
      await browser?.close();
      await server?.close();
      await eleven?.close();
      await gemini?.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

/**
 * Headless Chromium has no speech voices (`speak` fails with `synthesis-failed`), so this stands
 * in for the engine: it records each utterance and reports it spoken after 150 ms.
 */
function fakeSpeechEngine(): void {
  const w = globalThis as unknown as { __spoken: string[] };
  w.__spoken = [];
  speechSynthesis.speak = (u: SpeechSynthesisUtterance) => {
    w.__spoken.push(u.text);
    setTimeout(() => u.dispatchEvent(new SpeechSynthesisEvent("end", { utterance: u })), 150);
  };
}

function withoutRecognition(): void {
  const w = globalThis as unknown as Record<string, unknown>;
  delete w.SpeechRecognition;
  delete w.webkitSpeechRecognition;
}

Deno.test({
  name: "voice: without an ElevenLabs key the browser speaks, and the microphone falls back or explains",
  ignore: !ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    let gemini: GeminiStub | undefined;
    let server: TestServer | undefined;
    let browser: Browser | undefined;
    try {
      gemini = await startGeminiStub({ apiKey: "voice-gemini-key" });
      server = await startTestServer({ GEMINI_API_KEY: gemini.apiKey, GEMINI_BASE_URL: gemini.url });
      browser = await launchBrowser(["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]);
      const { page, problems } = await open(browser, server, [fakeSpeechEngine]);

      await t.step("Speak reads the reply with speechSynthesis, sentence by sentence", async () => {
        await sendMessage(page, "First point. Second point here!");
        await waitIdle(page);
        const speak = page.locator(".message-assistant").last().locator("button.speak");
        await speak.click();
        await page.waitForSelector(".message-assistant button.speak[aria-pressed=true]");
        await page.waitForSelector(".message-assistant button.speak[aria-pressed=false]");
        const spoken = await page.evaluate(() => (globalThis as unknown as { __spoken: string[] }).__spoken);
        assert.equal(spoken.join(" "), "Echo: First point. Second point here!");
        assert.ok(spoken.length >= 1);
        assert.deepEqual(await media(page), []); // the server's audio path was not used
        await page.locator(".voice-menu-toggle").click();
        assert.match(await page.locator(".voice-note").textContent() ?? "", /browser's own voice/);
        assert.equal(await page.locator(".voice-picker").isDisabled(), true);
      });

      await t.step("the microphone uses the browser's recognizer when it has one", async () => {
        const mic = page.locator("button.mic-button");
        assert.equal(await mic.isDisabled(), false);
        assert.match(await mic.getAttribute("title") ?? "", /browser's speech recognition/);
      });

      await t.step(
        "without a recognizer the microphone and hands-free are disabled and say why",
        async () => {
          const other = await open(browser!, server!, [withoutRecognition]);
          for (const selector of ["button.mic-button", "button.handsfree-start"]) {
            const button = other.page.locator(selector);
            assert.equal(await button.isDisabled(), true, selector);
            assert.match(
              await button.getAttribute("title") ?? "",
              /ELEVENLABS_API_KEY is not set.*no speech recognition/,
            );
            assert.equal(await button.getAttribute("aria-label"), await button.getAttribute("title"));
          }
          assert.deepEqual(other.problems, []);
          await other.page.context().close();
        },
      );

      assert.deepEqual(problems, []);
    } finally {
      await browser?.close();
      await server?.close();
      await gemini?.close();
    }
  },
});
