/**
 * Child process of teardown_test.ts: starts the local model provider on `modelDir`, reads the first
 * token of a reply, closes the provider while the Worker is still generating, and exits at once, as
 * `main.ts` does on SIGTERM. Exiting while the Worker was inside OpenBLAS crashed the process.
 */
import { createLocalProvider } from "../../../../lib/chat/local.ts";

const provider = createLocalProvider({ modelDir: Deno.args[0], maxNewTokens: 200, seed: 7 });
await provider.ready();
let tokens = 0;
for await (
  const chunk of provider.stream({
    history: [{ role: "user", content: "Tell me a long story." }],
    signal: new AbortController().signal,
  })
) {
  if (chunk.type === "text" && ++tokens === 2) break;
}
await provider.close();
console.log(JSON.stringify({ tokens }));
Deno.exit(0);
