/**
 * The local model's Worker: loads the checkpoint once, then answers generation requests one at a time,
 * posting each token's text as it is sampled, so generation never blocks the server's event loop.
 * Messages are described by {@link WorkerRequest} and {@link WorkerReply} in `./local.ts`.
 */
/// <reference lib="deno.worker" />
import { initBackend } from "../../ml/backend.ts";
import { loadCheckpoint } from "../../ml/checkpoint.ts";
import { formatPrompt } from "../../ml/data/alpaca.ts";
import { generateTokens } from "../../ml/generate.ts";
import type { WorkerReply, WorkerRequest } from "./local.ts";
import { RequestAborts } from "./local_aborts.ts";

const post = (m: WorkerReply) => self.postMessage(m);
// A byte-level model can emit any byte: control characters (NUL cannot even be stored in PostgreSQL
// text) and U+FFFD (what an invalid UTF-8 sequence decodes to) are dropped from replies; newlines and
// tabs are kept.
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFD]/g;
const requests = new RequestAborts();
const queue: Array<Extract<WorkerRequest, { type: "generate" }>> = [];
let running = false;

const loaded = (async () => {
  const t0 = performance.now();
  const dir = (await new Promise<WorkerRequest>((resolve) => {
    self.onmessage = (e: MessageEvent<WorkerRequest>) => resolve(e.data);
  })) as Extract<WorkerRequest, { type: "load" }>;
  self.onmessage = onMessage;
  await initBackend();
  const ckpt = await loadCheckpoint(dir.modelDir);
  post({
    type: "ready",
    loadMs: performance.now() - t0,
    parameters: ckpt.model.parameterCount().total,
    adapter: ckpt.adapter,
  });
  return ckpt;
})().catch((e) => {
  post({ type: "failed", message: (e as Error).message });
  return null;
});

function onMessage(e: MessageEvent<WorkerRequest>): void {
  const m = e.data;
  if (m.type === "close") {
    // Handling a message means no native (OpenBLAS) call is running in this worker; after close()
    // none will start, so the parent can terminate it and the process can exit safely.
    post({ type: "closed" });
    self.close();
  } else if (m.type === "abort") {
    requests.abort(m.id);
  } else if (m.type === "generate") {
    requests.queue(m.id);
    queue.push(m);
    void drain();
  }
}

async function drain(): Promise<void> {
  if (running) return;
  running = true;
  try {
    const ckpt = await loaded;
    while (queue.length > 0) {
      const req = queue.shift()!;
      if (!ckpt) {
        requests.finish(req.id);
        post({ type: "error", id: req.id, message: "the local model failed to load" });
        continue;
      }
      await generate(ckpt, req);
    }
  } finally {
    running = false;
  }
}

async function generate(
  ckpt: NonNullable<Awaited<typeof loaded>>,
  req: Extract<WorkerRequest, { type: "generate" }>,
): Promise<void> {
  const { model, tokenizer } = ckpt;
  try {
    // The prompt keeps its tail (instruction, "### Response:" and a continued reply's text) when longer
    // than the context; the reply may run past blockSize, the context then slides (see ml/generate.ts).
    const prompt = tokenizer.encode(
      formatPrompt({ instruction: req.instruction, input: "" }) + (req.prefix ?? ""),
    );
    const ids = prompt.slice(-Math.max(1, model.config.blockSize - 8));
    const decoder = tokenizer.streamDecoder();
    let completion = 0;
    const signal = requests.start(req.id);
    for await (
      const id of generateTokens(model, ids, {
        temperature: req.temperature,
        topK: req.topK,
        topP: req.topP,
        seed: req.seed,
        maxNewTokens: req.maxNewTokens,
        eosId: tokenizer.eosId,
        signal,
      })
    ) {
      completion++;
      if (id === tokenizer.eosId) break;
      const text = decoder.push(id).replace(CONTROL, "");
      if (text) post({ type: "token", id: req.id, text });
      // Lets an abort message arrive between tokens.
      await new Promise((r) => setTimeout(r, 0));
    }
    const rest = decoder.flush().replace(CONTROL, "");
    if (rest) post({ type: "token", id: req.id, text: rest });
    post({
      type: "done",
      id: req.id,
      promptTokens: ids.length,
      completionTokens: completion,
      aborted: signal.aborted,
    });
  } catch (e) {
    post({ type: "error", id: req.id, message: (e as Error).message });
  } finally {
    requests.finish(req.id);
  }
}
