/**
 * Browser: picking a model in the settings panel (Gemini and an OpenAI-compatible server side by side),
 * the header naming the model that answers, token usage, and attaching an image by the picker, paste and
 * drag and drop (thumbnail in the composer and in the conversation, image parts on the wire).
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { Page } from "playwright-core";
import { startTestServer } from "../_helpers/app_server.ts";
import { browserAvailable, launchBrowser } from "../_helpers/browser.ts";
import { openPage } from "../_helpers/browser.ts";
import { startGeminiStub } from "../stubs/gemini_server.ts";
import { startOpenAIStub } from "../stubs/openai_server.ts";
import { readMessages, sendMessage, waitIdle } from "./_chat_fixture.ts";

const ok = browserAvailable("browser: models and attachments");

/** A valid 1×1 PNG. */
const PNG_BASE64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

async function pickModel(page: Page, id: string): Promise<void> {
  await page.locator(".settings-toggle").click();
  await page.locator("select.settings-model").selectOption(id);
  await page.locator(".settings-save").click();
  await page.locator("#settings").waitFor({ state: "detached" });
}

/** Dispatches a paste (or drop) of the PNG as a File, the way the browser delivers one. */
function deliverImage(page: Page, how: "paste" | "drop", name: string): Promise<void> {
  return page.evaluate(([how, name, b64]) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const data = new DataTransfer();
    data.items.add(new File([bytes], name, { type: "image/png" }));
    if (how === "paste") {
      const input = document.querySelector("#composer-input")!;
      input.dispatchEvent(
        new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }),
      );
    } else {
      const target = document.querySelector(".conversation")!;
      target.dispatchEvent(
        new DragEvent("dragover", { dataTransfer: data, bubbles: true, cancelable: true }),
      );
      target.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
    }
  }, [how, name, PNG_BASE64] as const);
}

Deno.test({
  name: "browser: pick a model, see who answers and the tokens, attach images by picker, paste and drop",
  ignore: !ok,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const gemini = await startGeminiStub({ apiKey: "browser-test-key" });
    const openai = startOpenAIStub({ models: ["text-only", "llava:7b"] });
    const server = await startTestServer({
      GEMINI_API_KEY: gemini.apiKey,
      GEMINI_BASE_URL: gemini.url,
      OPENAI_PROVIDERS: JSON.stringify([{ id: "ollama", label: "Ollama", baseUrl: openai.url }]),
    });
    const browser = await launchBrowser();
    try {
      const { page, problems } = await openPage(browser);
      await page.goto(server.url + "/");
      await page.waitForSelector("html[data-hydrated=true]");

      await t.step("the picker lists every provider's models; the header follows the choice", async () => {
        assert.equal(await page.locator(".model-badge").textContent(), "Gemini 2.5 Flash");
        await page.locator(".settings-toggle").click();
        const options = await page.locator("select.settings-model option").evaluateAll((els) =>
          els.map((e) => [(e as HTMLOptionElement).value, e.textContent])
        );
        assert.deepEqual(options, [
          ["", "Default (Gemini 2.5 Flash)"],
          ["gemini-2.5-flash", "Gemini 2.5 Flash (reads images, PDFs)"],
          ["gemini-2.5-pro", "Gemini 2.5 Pro (reads images, PDFs)"],
          ["gemini-2.5-flash-lite", "Gemini 2.5 Flash-Lite (reads images, PDFs)"],
          ["ollama:text-only", "text-only · Ollama"],
          ["ollama:llava:7b", "llava:7b · Ollama (reads images)"],
        ]);
        await page.locator(".settings-toggle").click();
        await pickModel(page, "ollama:llava:7b");
        assert.equal(await page.locator(".model-badge").textContent(), "llava:7b · Ollama");
      });

      await t.step(
        "the reply comes from the picked model; its tokens show on hover and in the header",
        async () => {
          await sendMessage(page, "hello vision model");
          await waitIdle(page);
          assert.deepEqual(await readMessages(page), [
            ["user", "complete", "hello vision model"],
            ["assistant", "complete", "Echo: hello vision model"],
          ]);
          const chat = openai.requests.filter((r) => r.path === "/v1/chat/completions");
          assert.equal((chat.at(-1)!.body as { model: string }).model, "llava:7b");
          const usage = page.locator(".message-assistant .message-usage");
          await usage.waitFor({ state: "attached" });
          // prompt ceil(18/4) = 5, reply 4 chunks: 9 tokens.
          assert.equal(await usage.textContent(), "9 tokens");
          assert.equal(await usage.getAttribute("title"), "5 prompt tokens + 4 reply tokens");
          await page.locator(".message-assistant").hover();
          await page.waitForFunction(() =>
            getComputedStyle(document.querySelector(".message-assistant .message-usage")!).opacity === "1"
          );
          assert.equal(await page.locator(".conversation-usage").textContent(), "9 tokens");
          // The choice was stored with the conversation: a reload still names the model.
          await page.reload();
          await page.waitForSelector("html[data-hydrated=true]");
          assert.equal(await page.locator(".model-badge").textContent(), "llava:7b · Ollama");
        },
      );

      await t.step("an image from the file picker shows as a thumbnail and reaches the model", async () => {
        await page.locator(".attach-input").setInputFiles({
          name: "cat.png",
          mimeType: "image/png",
          buffer: Buffer.from(PNG_BASE64, "base64"),
        });
        await page.locator('.pending-attachment[data-state="ready"]').waitFor();
        assert.equal(await page.locator(".pending-attachment .attachment-name").textContent(), "cat.png");
        await sendMessage(page, "what is this?");
        await waitIdle(page);
        assert.equal(await page.locator(".pending-attachment").count(), 0);
        const thumb = page.locator('.message-user .message-attachments img[alt="cat.png"]').last();
        await thumb.waitFor();
        await page.waitForFunction(() => {
          const imgs = document.querySelectorAll<HTMLImageElement>(".message-user .message-attachments img");
          const img = imgs[imgs.length - 1];
          return img?.complete && img.naturalWidth === 1;
        });
        assert.equal((await readMessages(page)).at(-1)![2], "Echo: what is this? [image]");
        const body = openai.requests.at(-1)!.body as { messages: { content: unknown }[] };
        assert.deepEqual(body.messages.at(-1)!.content, [
          { type: "text", text: "what is this?" },
          { type: "image_url", image_url: { url: `data:image/png;base64,${PNG_BASE64}` } },
        ]);
      });

      await t.step(
        "paste and drop add files; a chip can be removed; an image-only message sends",
        async () => {
          await deliverImage(page, "paste", "pasted.png");
          await deliverImage(page, "drop", "dropped.png");
          await page.waitForFunction(() =>
            document.querySelectorAll('.pending-attachment[data-state="ready"]').length === 2
          );
          assert.deepEqual(await page.locator(".pending-attachment .attachment-name").allTextContents(), [
            "pasted.png",
            "dropped.png",
          ]);
          await page.getByRole("button", { name: "Remove pasted.png" }).click();
          assert.deepEqual(await page.locator(".pending-attachment .attachment-name").allTextContents(), [
            "dropped.png",
          ]);
          await page.locator(".composer-send").click();
          await waitIdle(page);
          assert.equal((await readMessages(page)).at(-1)![2], "Echo: [image]");
          await page.locator('.message-user .message-attachments img[alt="dropped.png"]').waitFor();
        },
      );

      await t.step("a text-only model refuses images in the composer with a clear notice", async () => {
        await pickModel(page, "ollama:text-only");
        assert.equal(await page.locator(".model-badge").textContent(), "text-only · Ollama");
        await deliverImage(page, "paste", "another.png");
        await page.waitForFunction(() =>
          /text-only · Ollama cannot read images/.test(
            document.querySelector("#composer-hint")?.textContent ?? "",
          )
        );
        assert.equal(await page.locator(".pending-attachment").count(), 0);
      });

      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await server.close();
      await openai.close();
      await gemini.close();
    }
  },
});
