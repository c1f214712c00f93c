/**
 * `deno task bench ui`: what the chat page costs a browser. Starts the app, loads `/` and a
 * conversation page, follows every script the page loads (boot, island entries, and the chunks
 * they import), and gzips each with `CompressionStream` (level as the runtime's default). Also the
 * stylesheets and the HTML of a 20-message conversation (rendered messages + island props).
 */
import { ApiClient } from "../tests/_helpers/api_client.ts";
import { startTestServer } from "../tests/_helpers/app_server.ts";
import { startGeminiStub } from "../tests/stubs/gemini_server.ts";

async function gzipSize(bytes: Uint8Array): Promise<number> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

interface Asset {
  url: string;
  raw: number;
  gzip: number;
}

/** Every script a page loads: `<script src>`, module preloads, and their static/dynamic imports. */
async function pageScripts(client: ApiClient, path: string): Promise<{ html: string; scripts: Asset[] }> {
  const html = await (await client.fetch(path)).text();
  const queue = [
    ...html.matchAll(/<script[^>]+src="([^"]+)"/g),
    ...html.matchAll(/<link rel="modulepreload" href="([^"]+)"/g),
  ].map((m) => m[1]);
  const seen = new Map<string, Asset>();
  while (queue.length > 0) {
    const url = queue.shift()!;
    if (seen.has(url)) continue;
    const res = await client.fetch(url);
    if (!res.ok) throw new Error(`${url}: ${res.status}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    seen.set(url, { url, raw: bytes.length, gzip: await gzipSize(bytes) });
    const text = new TextDecoder().decode(bytes);
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*"(\.\/[^"]+\.js)"/g)) {
      queue.push(new URL(m[1], new URL(url, "http://x")).pathname);
    }
  }
  return { html, scripts: [...seen.values()] };
}

const kb = (n: number) => (n / 1024).toFixed(1);
const stub = await startGeminiStub({ apiKey: "bench-key" });
const server = await startTestServer({ GEMINI_API_KEY: stub.apiKey, GEMINI_BASE_URL: stub.url });
try {
  const client = new ApiClient(server.url);
  const { body: conv } = await client.json<{ id: string }>("/api/conversations", {
    method: "POST",
    json: {},
  });
  // A 20-message conversation through the real API (the stub model echoes each question).
  for (let i = 0; i < 10; i++) {
    const content = `Question ${i}: how do I sort an array of **numbers** in TypeScript with \`sort\`?`;
    const res = await client.fetch(`/api/conversations/${conv.id}/messages`, {
      method: "POST",
      json: { content },
    });
    await res.text();
  }
  const home = await pageScripts(client, "/");
  const chat = await pageScripts(client, `/c/${conv.id}`);

  console.log("### JavaScript the chat page loads (minified; gzip via CompressionStream)\n");
  console.log("| file | bytes | gzipped |\n| --- | ---: | ---: |");
  for (const a of chat.scripts) {
    console.log(`| \`${a.url.replace(/-[A-Z0-9]+\.js$/, "-….js")}\` | ${a.raw} | ${a.gzip} |`);
  }
  const total = (s: Asset[]) =>
    s.reduce((acc, a) => ({ raw: acc.raw + a.raw, gzip: acc.gzip + a.gzip }), { raw: 0, gzip: 0 });
  const t = total(chat.scripts);
  console.log(`| **total, /c/:id** | ${t.raw} (${kb(t.raw)} KiB) | **${t.gzip} (${kb(t.gzip)} KiB)** |`);
  const h = total(home.scripts);
  console.log(`| total, / | ${h.raw} | ${h.gzip} |`);

  console.log("\n### Other bytes of the conversation page (20 messages)\n");
  console.log("| what | bytes | gzipped |\n| --- | ---: | ---: |");
  const enc = new TextEncoder();
  const htmlBytes = enc.encode(chat.html);
  console.log(`| HTML | ${htmlBytes.length} | ${await gzipSize(htmlBytes)} |`);
  const props =
    /<script type="application\/json" id="__mc_islands">([\s\S]*?)<\/script>/.exec(chat.html)?.[1] ?? "";
  console.log(
    `| of which island props (JSON) | ${enc.encode(props).length} | ${await gzipSize(enc.encode(props))} |`,
  );
  for (const css of ["/app.css", "/markdown.css"]) {
    const bytes = new Uint8Array(await (await client.fetch(css)).arrayBuffer());
    console.log(`| \`${css}\` | ${bytes.length} | ${await gzipSize(bytes)} |`);
  }
} finally {
  await server.close();
  await stub.close();
}
