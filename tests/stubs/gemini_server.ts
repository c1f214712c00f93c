/**
 * A local server speaking the Gemini REST protocol (the parts the chat app uses), for tests and
 * benchmarks, driven through the real `@google/genai` SDK via `httpOptions.baseUrl`:
 *
 * - `POST /{version}/models/{model}:generateContent` → one GenerateContentResponse JSON
 * - `POST /{version}/models/{model}:streamGenerateContent?alt=sse` → SSE `data: {GenerateContentResponse}` frames
 * - `GET /{version}/models` (pageSize/pageToken) and `GET /{version}/models/{model}`
 *
 * `{version}` is any `v1…` segment (the SDK 3.x default is `v1`; older clients use `v1beta`).
 * The key is checked from the `x-goog-api-key` header (or `?key=`): missing → 403, wrong → 400
 * API_KEY_INVALID, as Google answers. The reply is deterministic: "Echo: " followed by the last
 * user message (whitespace and newlines kept), one word per SSE frame (see {@link stubReplyTokens}),
 * cut to `generationConfig.maxOutputTokens` tokens with finishReason MAX_TOKENS when that is smaller.
 *
 * Faults are chosen per test with {@link GeminiStub.setFault}, or per prompt by a magic word in the
 * last user message, `[[stub:KIND]]` or `[[stub:KIND:N]]` (KIND as in {@link GeminiStubFault};
 * N is its number: Retry-After seconds, status, tokens before the fault, or delay in ms).
 * Control endpoints for out-of-process use: `POST /__stub/fault` `{ fault, times? }`,
 * `DELETE /__stub/fault`, `POST /__stub/options` `{ tokenDelayMs?, replyTokens? }`,
 * `GET /__stub/requests`.
 *
 * Run standalone: `deno run -A tests/stubs/gemini_server.ts --port 8787 --tokens 64 --delay-ms 10`.
 */

/** A failure the stub can produce. `afterTokens` counts reply tokens sent before the fault. */
export type GeminiStubFault =
  /** 429 RESOURCE_EXHAUSTED with `Retry-After` (and a RetryInfo detail) of `retryAfterSeconds`. */
  | { kind: "rate_limit"; retryAfterSeconds?: number }
  /** A 5xx JSON error before any token (500 INTERNAL by default). */
  | { kind: "server_error"; status?: number }
  /** 401/403 as for a key without access (a wrong key is simpler: just send another key). */
  | { kind: "auth"; status?: 401 | 403 }
  /** Sends `afterTokens` tokens, then breaks the connection (the body errors, no final chunk). */
  | { kind: "cut"; afterTokens: number }
  /** Sends `afterTokens` tokens, then ends the body cleanly but without a finishReason. */
  | { kind: "truncate"; afterTokens: number }
  /** Sends `afterTokens` tokens, then an in-stream `{ error }` frame (as the API does mid-stream). */
  | { kind: "error_event"; afterTokens: number; status?: number }
  /** The prompt is blocked: one frame with `promptFeedback.blockReason = "SAFETY"` and no candidates. */
  | { kind: "safety_prompt" }
  /** Sends `afterTokens` tokens, then a frame with `finishReason = "SAFETY"`. */
  | { kind: "safety_finish"; afterTokens: number }
  /** Waits `tokenDelayMs` before each token. */
  | { kind: "slow"; tokenDelayMs: number }
  /** Never answers (no status line is sent) until the stub closes. */
  | { kind: "hang" }
  /** Sends the headers and `afterTokens` tokens, then stalls until the client gives up (recorded as "aborted"). */
  | { kind: "stall"; afterTokens: number };

/** Names accepted in `[[stub:KIND:N]]` magic words. */
export type GeminiStubFaultKind = GeminiStubFault["kind"];

/** Options of {@link startGeminiStub}. */
export interface GeminiStubOptions {
  /** The one key accepted (default "test-key"). */
  apiKey?: string;
  /** Port to listen on (default 0: any free port). */
  port?: number;
  /** Interface (default "127.0.0.1"). */
  hostname?: string;
  /** Delay before each streamed token in ms (default 0). */
  tokenDelayMs?: number;
  /** When set, every reply has exactly this many tokens (words of the prompt repeated). */
  replyTokens?: number;
  /** Model ids served; others get 404 NOT_FOUND (default: gemini-2.5-flash, -pro, -flash-lite). */
  models?: string[];
  /** Keep at most this many recorded requests, dropping the oldest (default 1000). */
  recordLimit?: number;
}

/** One request the stub received, updated as its response progresses. */
export interface RecordedRequest {
  id: number;
  method: string;
  /** Path without the query string, e.g. "/v1/models/gemini-2.5-flash:streamGenerateContent". */
  path: string;
  /** The `v1…` segment of the path. */
  apiVersion?: string;
  model?: string;
  action: "generateContent" | "streamGenerateContent" | "listModels" | "getModel" | "control" | "unknown";
  /** Key the client sent (header or query), or null. */
  apiKey: string | null;
  /** Parsed JSON body (POST), else undefined. */
  body: unknown;
  /** Text of the last user turn, magic words included. */
  prompt?: string;
  /** HTTP status sent (0 while no status line was sent, e.g. while hanging). */
  status: number;
  /** Fault applied, if any. */
  fault?: GeminiStubFaultKind;
  /** Reply tokens sent so far. */
  tokensSent: number;
  /** "pending" while the response is being written; "aborted" when the client went away first. */
  outcome: "pending" | "completed" | "aborted" | "cut";
  receivedAt: number;
}

/** A running stub. */
export interface GeminiStub {
  /** Base URL to pass as `httpOptions.baseUrl` / `GEMINI_BASE_URL`, e.g. "http://127.0.0.1:41234". */
  readonly url: string;
  /** The accepted key. */
  readonly apiKey: string;
  /** Received requests, oldest first (live array; control requests are not recorded). */
  readonly requests: RecordedRequest[];
  /** Applies `fault` to the next `times` model requests (all of them when omitted); null clears it. */
  setFault(fault: GeminiStubFault | null, options?: { times?: number }): void;
  /** Changes the token delay or reply length for later requests. */
  setOptions(options: Pick<GeminiStubOptions, "tokenDelayMs" | "replyTokens">): void;
  /** Clears the fault and the recorded requests. */
  reset(): void;
  /** Number of streaming responses still being written. */
  activeStreams(): number;
  /** Stops the server, cutting any response still open. */
  close(): Promise<void>;
}

const DEFAULT_MODELS = ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite"];
const MAGIC = /\[\[stub:([a-z_]+)(?::(\d+))?\]\]/;
const encoder = new TextEncoder();

/** The prompt with magic words removed, split into words. */
function promptWords(prompt: string): string[] {
  return stripMagic(prompt).split(/\s+/).filter((w) => w !== "");
}

/** The prompt with magic words (and the whitespace after them) removed, trimmed. */
function stripMagic(prompt: string): string {
  return prompt.replace(new RegExp(`${MAGIC.source}\\s*`, "g"), "").trim();
}

/**
 * The tokens the stub streams for `prompt`: "Echo:", then the prompt (magic words removed,
 * trimmed) cut before each word, keeping its whitespace (newlines included, so Markdown survives),
 * the first word prefixed by a space. So the reply is exactly `"Echo: " + prompt`. With
 * `replyTokens`, exactly that many tokens: " word" with the prompt's words cycling.
 */
export function stubReplyTokens(prompt: string, replyTokens?: number): string[] {
  if (replyTokens === undefined) {
    const pieces = stripMagic(prompt).match(/\s*\S+/g) ?? [];
    return ["Echo:", ...pieces.map((p, i) => (i === 0 ? ` ${p}` : p))];
  }
  const words = promptWords(prompt);
  const pool = words.length > 0 ? words : ["token"];
  const out = ["Echo:"];
  for (let i = 0; out.length < replyTokens; i++) out.push(` ${pool[i % pool.length]}`);
  return out.slice(0, Math.max(1, replyTokens));
}

/** The whole reply text the stub produces for `prompt` (the tokens joined). */
export function stubReplyText(prompt: string, replyTokens?: number): string {
  return stubReplyTokens(prompt, replyTokens).join("");
}

/** Parses a `[[stub:KIND:N]]` magic word into a fault, or null. */
export function faultFromPrompt(prompt: string): GeminiStubFault | null {
  const m = MAGIC.exec(prompt);
  if (!m) return null;
  const n = m[2] === undefined ? undefined : Number(m[2]);
  switch (m[1]) {
    case "rate_limit":
      return { kind: "rate_limit", retryAfterSeconds: n ?? 1 };
    case "server_error":
      return { kind: "server_error", status: n ?? 500 };
    case "auth":
      return { kind: "auth", status: n === 401 ? 401 : 403 };
    case "cut":
    case "truncate":
    case "safety_finish":
    case "stall":
      return { kind: m[1], afterTokens: n ?? 2 };
    case "error_event":
      return { kind: "error_event", afterTokens: n ?? 2 };
    case "safety_prompt":
      return { kind: "safety_prompt" };
    case "slow":
      return { kind: "slow", tokenDelayMs: n ?? 100 };
    case "hang":
      return { kind: "hang" };
    default:
      return null;
  }
}

interface GeminiContent {
  role?: string;
  parts?: { text?: unknown }[];
}

function contentText(c: GeminiContent | undefined): string {
  return (c?.parts ?? []).map((p) => (typeof p.text === "string" ? p.text : "")).join("");
}

function lastUserText(body: unknown): string {
  const contents = (body as { contents?: GeminiContent[] } | undefined)?.contents ?? [];
  for (let i = contents.length - 1; i >= 0; i--) {
    if (contents[i].role === undefined || contents[i].role === "user") return contentText(contents[i]);
  }
  return "";
}

/** The request's `generationConfig.maxOutputTokens`, if a positive integer. */
function maxOutputTokens(body: unknown): number | undefined {
  const n = (body as { generationConfig?: { maxOutputTokens?: unknown } } | undefined)?.generationConfig
    ?.maxOutputTokens;
  return typeof n === "number" && Number.isInteger(n) && n > 0 ? n : undefined;
}

/** The reply tokens for a request, cut to `maxOutputTokens`; `capped` says whether it cut. */
function replyFor(
  rec: RecordedRequest,
  replyTokens: number | undefined,
): { tokens: string[]; capped: boolean } {
  const all = stubReplyTokens(rec.prompt ?? "", replyTokens);
  const max = maxOutputTokens(rec.body);
  return max !== undefined && max < all.length
    ? { tokens: all.slice(0, max), capped: true }
    : { tokens: all, capped: false };
}

function promptTokenCount(body: unknown): number {
  const b = body as { contents?: GeminiContent[]; systemInstruction?: GeminiContent } | undefined;
  let chars = contentText(b?.systemInstruction).length;
  for (const c of b?.contents ?? []) chars += contentText(c).length;
  return Math.max(1, Math.ceil(chars / 4));
}

function googleError(
  code: number,
  status: string,
  message: string,
  details?: unknown[],
  headers?: HeadersInit,
) {
  const error: Record<string, unknown> = { code, message, status };
  if (details) error.details = details;
  return Response.json({ error }, { status: code, headers });
}

function statusName(code: number): string {
  return ({ 500: "INTERNAL", 502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED" } as Record<
    number,
    string
  >)[code] ?? "INTERNAL";
}

/** Sleeps `ms`, resolving early (with false) when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Starts the stub on a free loopback port. */
export async function startGeminiStub(options: GeminiStubOptions = {}): Promise<GeminiStub> {
  const apiKey = options.apiKey ?? "test-key";
  const models = options.models ?? DEFAULT_MODELS;
  const recordLimit = options.recordLimit ?? 1000;
  let tokenDelayMs = options.tokenDelayMs ?? 0;
  let replyTokens = options.replyTokens;
  let fault: GeminiStubFault | null = null;
  let faultTimes = Infinity;
  let nextId = 1;
  let streaming = 0;
  const requests: RecordedRequest[] = [];
  /** Aborted on close, so hanging or slow responses end. */
  const shutdown = new AbortController();

  const takeFault = (prompt: string): GeminiStubFault | null => {
    if (fault && faultTimes > 0) {
      const f = fault;
      faultTimes--;
      if (faultTimes === 0) fault = null;
      return f;
    }
    return faultFromPrompt(prompt);
  };

  const modelInfo = (id: string) => ({
    name: `models/${id}`,
    version: "001",
    displayName: id.replace(/^gemini-/, "Gemini ").replace(/-/g, " "),
    description: `Stub of ${id}`,
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    supportedGenerationMethods: ["generateContent", "countTokens"],
  });

  const frame = (obj: unknown) => encoder.encode(`data: ${JSON.stringify(obj)}\r\n\r\n`);

  function streamReply(rec: RecordedRequest, f: GeminiStubFault | null): Response {
    const { tokens, capped } = replyFor(rec, replyTokens);
    const promptTokens = promptTokenCount(rec.body);
    const delay = f?.kind === "slow" ? f.tokenDelayMs : tokenDelayMs;
    const stop = new AbortController();
    const onGone = () => {
      if (rec.outcome === "pending") rec.outcome = "aborted";
      stop.abort();
    };
    // A client going away shows up as cancel() of the body (request.signal also fires after
    // successful responses in Deno's legacy mode, so it is not used for streams).
    shutdown.signal.addEventListener("abort", onGone, { once: true });
    const cleanup = () => shutdown.signal.removeEventListener("abort", onGone);
    const responseId = `stub-${rec.id}`;
    const usage = (completion: number) => ({
      promptTokenCount: promptTokens,
      candidatesTokenCount: completion,
      totalTokenCount: promptTokens + completion,
    });
    streaming++;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      streaming--;
      cleanup();
    };

    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        try {
          if (f?.kind === "safety_prompt") {
            controller.enqueue(frame({
              promptFeedback: {
                blockReason: "SAFETY",
                safetyRatings: [{ category: "HARM_CATEGORY_DANGEROUS_CONTENT", probability: "HIGH" }],
              },
              usageMetadata: usage(0),
              modelVersion: rec.model,
              responseId,
            }));
            rec.outcome = "completed";
            controller.close();
            return;
          }
          const limit = f && "afterTokens" in f ? Math.min(f.afterTokens, tokens.length) : tokens.length;
          for (let i = 0; i < limit; i++) {
            if (!(await pause(delay, stop.signal))) return;
            const last = f === null || f.kind === "slow" ? i === tokens.length - 1 : false;
            const candidate: Record<string, unknown> = {
              content: { parts: [{ text: tokens[i] }], role: "model" },
              index: 0,
            };
            if (last) candidate.finishReason = capped ? "MAX_TOKENS" : "STOP";
            controller.enqueue(frame({
              candidates: [candidate],
              usageMetadata: last
                ? usage(tokens.length)
                : { promptTokenCount: promptTokens, totalTokenCount: promptTokens },
              modelVersion: rec.model,
              responseId,
            }));
            rec.tokensSent++;
          }
          switch (f?.kind) {
            case "cut":
              // Erroring drops queued chunks: let the server write the tokens out first.
              for (let i = 0; i < 200 && (controller.desiredSize ?? 1) <= 0; i++) await pause(1, stop.signal);
              await pause(5, stop.signal);
              rec.outcome = "cut";
              controller.error(new Error("gemini stub: connection cut on purpose (fault 'cut')"));
              return;
            case "truncate":
              rec.outcome = "cut";
              controller.close();
              return;
            case "error_event": {
              const status = f.status ?? 500;
              controller.enqueue(
                frame({
                  error: { code: status, message: "Stub mid-stream error", status: statusName(status) },
                }),
              );
              rec.outcome = "completed";
              controller.close();
              return;
            }
            case "safety_finish":
              controller.enqueue(frame({
                candidates: [{
                  content: { parts: [{ text: "" }], role: "model" },
                  finishReason: "SAFETY",
                  index: 0,
                  safetyRatings: [{
                    category: "HARM_CATEGORY_HARASSMENT",
                    probability: "HIGH",
                    blocked: true,
                  }],
                }],
                usageMetadata: usage(rec.tokensSent),
                modelVersion: rec.model,
                responseId,
              }));
              rec.outcome = "completed";
              controller.close();
              return;
            case "stall":
              await pause(2 ** 31 - 1, stop.signal);
              return;
          }
          rec.outcome = "completed";
          controller.close();
        } finally {
          // Ended by the client leaving, close() or a stall: end the body so the server can finish.
          try {
            controller.close();
          } catch {
            // already closed, errored or cancelled
          }
          finish();
        }
      },
      cancel() {
        onGone();
        finish();
      },
    });
    rec.status = 200;
    return new Response(body, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
    });
  }

  async function unaryReply(rec: RecordedRequest, f: GeminiStubFault | null): Promise<Response> {
    if (f?.kind === "safety_prompt") {
      rec.outcome = "completed";
      rec.status = 200;
      return Response.json({
        promptFeedback: { blockReason: "SAFETY" },
        usageMetadata: { promptTokenCount: 1 },
      });
    }
    const { tokens, capped } = replyFor(rec, replyTokens);
    const delay = f?.kind === "slow" ? f.tokenDelayMs : tokenDelayMs;
    if (!(await pause(delay * tokens.length, shutdown.signal))) return new Response(null, { status: 503 });
    const promptTokens = promptTokenCount(rec.body);
    rec.tokensSent = tokens.length;
    rec.outcome = "completed";
    rec.status = 200;
    return Response.json({
      candidates: [{
        content: { parts: [{ text: tokens.join("") }], role: "model" },
        finishReason: f?.kind === "safety_finish" ? "SAFETY" : capped ? "MAX_TOKENS" : "STOP",
        index: 0,
      }],
      usageMetadata: {
        promptTokenCount: promptTokens,
        candidatesTokenCount: tokens.length,
        totalTokenCount: promptTokens + tokens.length,
      },
      modelVersion: rec.model,
      responseId: `stub-${rec.id}`,
    });
  }

  async function control(req: Request, path: string): Promise<Response> {
    if (path === "/__stub/requests" && req.method === "GET") return Response.json(requests);
    if (path === "/__stub/fault" && req.method === "DELETE") {
      fault = null;
      return new Response(null, { status: 204 });
    }
    if (path === "/__stub/fault" && req.method === "POST") {
      const b = await req.json() as { fault: GeminiStubFault | null; times?: number };
      handle.setFault(b.fault, { times: b.times });
      return new Response(null, { status: 204 });
    }
    if (path === "/__stub/options" && req.method === "POST") {
      handle.setOptions(await req.json());
      return new Response(null, { status: 204 });
    }
    if (path === "/__stub/reset" && req.method === "POST") {
      handle.reset();
      return new Response(null, { status: 204 });
    }
    return new Response("not found", { status: 404 });
  }

  async function handler(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname;
    if (path.startsWith("/__stub/")) return control(req, path);

    const rec: RecordedRequest = {
      id: nextId++,
      method: req.method,
      path,
      action: "unknown",
      apiKey: req.headers.get("x-goog-api-key") ?? url.searchParams.get("key"),
      body: undefined,
      status: 0,
      tokensSent: 0,
      outcome: "pending",
      receivedAt: Date.now(),
    };
    requests.push(rec);
    if (requests.length > recordLimit) requests.splice(0, requests.length - recordLimit);
    const reply = (res: Response) => {
      rec.status = res.status;
      if (rec.outcome === "pending") rec.outcome = "completed";
      return res;
    };

    const gen = /^\/(v1[a-z0-9]*)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(path);
    const list = /^\/(v1[a-z0-9]*)\/models$/.exec(path);
    const get = /^\/(v1[a-z0-9]*)\/models\/([^/:]+)$/.exec(path);
    rec.apiVersion = (gen ?? list ?? get)?.[1];
    if (gen && req.method === "POST") {
      rec.model = gen[2];
      rec.action = gen[3] as RecordedRequest["action"];
      try {
        rec.body = await req.json();
      } catch {
        return reply(googleError(400, "INVALID_ARGUMENT", "Invalid JSON payload received."));
      }
      rec.prompt = lastUserText(rec.body);
    } else if (list && req.method === "GET") {
      rec.action = "listModels";
    } else if (get && req.method === "GET") {
      rec.action = "getModel";
      rec.model = get[2];
    } else {
      return reply(googleError(404, "NOT_FOUND", `Method not found: ${req.method} ${path}`));
    }

    if (rec.apiKey === null || rec.apiKey === "") {
      return reply(googleError(
        403,
        "PERMISSION_DENIED",
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
      ));
    }
    if (rec.apiKey !== apiKey) {
      return reply(googleError(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", [{
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        reason: "API_KEY_INVALID",
        domain: "googleapis.com",
        metadata: { service: "generativelanguage.googleapis.com" },
      }]));
    }

    if (rec.action === "listModels") {
      const pageSize = Number(url.searchParams.get("pageSize") ?? "50") || 50;
      const from = Number(url.searchParams.get("pageToken") ?? "0") || 0;
      const page = models.slice(from, from + pageSize).map(modelInfo);
      const next = from + pageSize < models.length ? String(from + pageSize) : undefined;
      return reply(Response.json(next ? { models: page, nextPageToken: next } : { models: page }));
    }
    if (!models.includes(rec.model ?? "")) {
      return reply(googleError(
        404,
        "NOT_FOUND",
        `models/${rec.model} is not found for API version ${rec.apiVersion}, or is not supported for generateContent.`,
      ));
    }
    if (rec.action === "getModel") return reply(Response.json(modelInfo(rec.model!)));

    const f = takeFault(rec.prompt ?? "");
    rec.fault = f?.kind;
    switch (f?.kind) {
      case "rate_limit": {
        const seconds = f.retryAfterSeconds ?? 1;
        return reply(googleError(
          429,
          "RESOURCE_EXHAUSTED",
          "Resource has been exhausted (e.g. check quota).",
          [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: `${seconds}s` }],
          { "retry-after": String(seconds) },
        ));
      }
      case "server_error": {
        const status = f.status ?? 500;
        const message = status === 503
          ? "The model is overloaded. Please try again later."
          : "An internal error has occurred.";
        return reply(googleError(status, statusName(status), message));
      }
      case "auth":
        return reply(
          f.status === 401
            ? googleError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
            : googleError(403, "PERMISSION_DENIED", "The caller does not have permission."),
        );
      case "hang": {
        // No status line is ever sent. Deno.serve cannot report the client leaving before a
        // response without request.signal (which also fires after every success in legacy mode),
        // so the stub just waits for close(); use "stall" to observe cancellation.
        await pause(2 ** 31 - 1, shutdown.signal);
        return new Response(null, { status: 503 });
      }
    }
    if (rec.action === "streamGenerateContent") return streamReply(rec, f);
    return reply(await unaryReply(rec, f));
  }

  const listening = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    port: options.port ?? 0,
    hostname: options.hostname ?? "127.0.0.1",
    onListen: (addr) => listening.resolve(addr as Deno.NetAddr),
  }, handler);
  const { hostname, port } = await listening.promise;

  const handle: GeminiStub = {
    url: `http://${hostname}:${port}`,
    apiKey,
    requests,
    setFault(f, opts) {
      fault = f;
      faultTimes = f === null ? Infinity : opts?.times ?? Infinity;
    },
    setOptions(o) {
      if (o.tokenDelayMs !== undefined) tokenDelayMs = o.tokenDelayMs;
      if ("replyTokens" in o) replyTokens = o.replyTokens;
    },
    reset() {
      fault = null;
      faultTimes = Infinity;
      requests.length = 0;
    },
    activeStreams: () => streaming,
    async close() {
      shutdown.abort();
      await server.shutdown();
    },
  };
  return handle;
}

if (import.meta.main) {
  const arg = (name: string) => {
    const i = Deno.args.indexOf(`--${name}`);
    return i === -1 ? undefined : Deno.args[i + 1];
  };
  const stub = await startGeminiStub({
    port: Number(arg("port") ?? 8787),
    apiKey: arg("api-key"),
    replyTokens: arg("tokens") === undefined ? undefined : Number(arg("tokens")),
    tokenDelayMs: Number(arg("delay-ms") ?? 0),
    recordLimit: 100,
  });
  console.log(`Gemini stub listening on ${stub.url} (key "${stub.apiKey}")`);
}
