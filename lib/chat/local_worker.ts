/**
 * The local model's Worker: loads the checkpoint's base weights once (see {@link LocalModelHost}), then
 * answers generation requests one at a time, each with its own adapter, posting each piece of text as it
 * is sampled, so generation never blocks the server's event loop. Messages are described by
 * {@link WorkerRequest} and {@link WorkerReply} in `./local.ts`.
 */
/// <reference lib="deno.worker" />
import { initBackend } from "../../ml/backend.ts";
import type { WorkerReply, WorkerRequest } from "./local.ts";
import { RequestAborts } from "./local_aborts.ts";
import { generateReply, LocalModelHost } from "./local_host.ts";

const post = (m: WorkerReply) => self.postMessage(m);
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
  const host = await LocalModelHost.load(dir.modelDir);
  post({
    type: "ready",
    loadMs: performance.now() - t0,
    parameters: host.model.parameterCount().total,
    adapter: host.hasOwnAdapter,
  });
  return host;
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
    const host = await loaded;
    while (queue.length > 0) {
      const req = queue.shift()!;
      if (!host) {
        requests.finish(req.id);
        post({ type: "error", id: req.id, message: "the local model failed to load" });
        continue;
      }
      await generate(host, req);
    }
  } finally {
    running = false;
  }
}

async function generate(
  host: LocalModelHost,
  req: Extract<WorkerRequest, { type: "generate" }>,
): Promise<void> {
  try {
    const signal = requests.start(req.id);
    const reply = generateReply(host, { ...req, signal });
    while (true) {
      const step = await reply.next();
      if (step.done) {
        post({
          type: "done",
          id: req.id,
          ...step.value,
          adapterLoads: host.adapterLoads,
          aborted: signal.aborted,
        });
        break;
      }
      post({ type: "token", id: req.id, text: step.value });
      // Lets an abort message arrive between tokens.
      await new Promise((r) => setTimeout(r, 0));
    }
  } catch (e) {
    post({ type: "error", id: req.id, message: (e as Error).message });
  } finally {
    requests.finish(req.id);
  }
}
