/**
 * A local server speaking the OpenAI-compatible REST protocol (the parts the chat app uses, as
 * Ollama, llama.cpp's server, vLLM and OpenRouter serve them), for tests, driven through the real
 * `openai` SDK via `baseURL`:
 *
 * - `GET /v1/models` → `{ object: "list", data: [{ id, object: "model", created, owned_by }] }`
 * - `POST /v1/chat/completions` with `stream: true` → SSE `data: {chat.completion.chunk}` frames, a
 *   final usage chunk (`choices: []`) when `stream_options.include_usage` is set, then `data: [DONE]`.
 *   Without `stream`, one `chat.completion` JSON.
 *
 * The key is checked from `Authorization: Bearer …` when the stub has one (`apiKey`); without one
 * (like Ollama) any or no key is accepted. The reply is deterministic: "Echo: " followed by the text
 * of the last user message, one word per chunk (an image part is echoed as `[image]`).
 *
 * Faults are chosen per test with {@link OpenAIStub.setFault}, or per prompt by a magic word in the
 * last user message, `[[stub:KIND]]` or `[[stub:KIND:N]]` (N: Retry-After seconds, status, or tokens
 * before the fault). Error bodies are OpenAI's `{ error: { message, type, param, code } }`.
 *
 * Run standalone: `deno run -A tests/stubs/openai_server.ts --port 11435 --delay-ms 10 --models a,b`.
 */

/** A failure the stub can produce. */
export type OpenAIStubFault =
  /** 429 with `Retry-After: retryAfterSeconds` (default 1). */
  | { kind: "rate_limit"; retryAfterSeconds?: number }
  /** A 5xx JSON error before any token (500 by default). */
  | { kind: "server_error"; status?: number }
  /** 401 invalid_api_key (a wrong key does the same when the stub has one). */
  | { kind: "auth" }
  /** 400 `context_length_exceeded`, as OpenAI and vLLM answer an over-long prompt. */
  | { kind: "context_length" }
  /** Sends `afterTokens` tokens, then breaks the connection. */
  | { kind: "cut"; afterTokens: number }
  /** Sends `afterTokens` tokens, then an in-stream `data: {"error": …}` frame. */
  | { kind: "error_event"; afterTokens: number }
  /** Sends `afterTokens` tokens, then stalls until the client goes away (recorded as "aborted"). */
  | { kind: "stall"; afterTokens: number };

/** Names accepted in `[[stub:KIND:N]]`. */
export type OpenAIStubFaultKind = OpenAIStubFault["kind"];

/** Options of {@link startOpenAIStub}. */
export interface OpenAIStubOptions {
  /** The one key accepted; undefined accepts any (as a local server does). */
  apiKey?: string;
  /** Model ids listed and served; others get 404 model_not_found (default ["stub-chat", "stub-vision"]). */
  models?: string[];
  /** Delay before each streamed token, ms (default 0). */
  tokenDelayMs?: number;
  /** Port (default 0: any free port). */
  port?: number;
  /** Keep at most this many recorded requests, dropping the oldest (default 1000). */
  recordLimit?: number;
}

/** One request the stub received, updated as its response progresses. */
export interface OpenAIRecordedRequest {
  method: string;
  path: string;
  /** The `Authorization` header, or null. */
  authorization: string | null;
  /** Parsed JSON body (POST). */
  body: unknown;
  /** Text of the last user message, magic words included. */
  prompt?: string;
  status: number;
  fault?: OpenAIStubFaultKind;
  tokensSent: number;
  outcome: "pending" | "completed" | "aborted" | "cut";
}

/** A running stub. */
export interface OpenAIStub {
  /** Base URL for the SDK's `baseURL` / `OPENAI_BASE_URL`, e.g. "http://127.0.0.1:41234/v1". */
  readonly url: string;
  /** Received requests, oldest first (live array). */
  readonly requests: OpenAIRecordedRequest[];
  /** Applies `fault` to the next `times` chat requests (all when omitted); null clears it. */
  setFault(fault: OpenAIStubFault | null, options?: { times?: number }): void;
  /** Changes the models listed and served. */
  setModels(models: string[]): void;
  /** Clears the fault and the recorded requests. */
  reset(): void;
  /** Stops the server, cutting any response still open. */
  close(): Promise<void>;
}

const MAGIC = /\[\[stub:([a-z_]+)(?::(\d+))?\]\]/;
const encoder = new TextEncoder();

/** The tokens streamed for `prompt`: "Echo:" then each word of the prompt (magic words removed). */
export function openAIStubTokens(prompt: string): string[] {
  const clean = prompt.replace(new RegExp(`${MAGIC.source}\\s*`, "g"), "").trim();
  return ["Echo:", ...(clean.match(/\s*\S+/g) ?? []).map((p, i) => (i === 0 ? ` ${p.trimStart()}` : p))];
}

/** The whole reply for `prompt`: `"Echo: " + prompt`. */
export function openAIStubReply(prompt: string): string {
  return openAIStubTokens(prompt).join("");
}

function faultFromPrompt(prompt: string): OpenAIStubFault | null {
  const m = MAGIC.exec(prompt);
  if (!m) return null;
  const n = m[2] === undefined ? undefined : Number(m[2]);
  switch (m[1]) {
    case "rate_limit":
      return { kind: "rate_limit", retryAfterSeconds: n };
    case "server_error":
      return { kind: "server_error", status: n };
    case "auth":
      return { kind: "auth" };
    case "context_length":
      return { kind: "context_length" };
    case "cut":
      return { kind: "cut", afterTokens: n ?? 1 };
    case "error_event":
      return { kind: "error_event", afterTokens: n ?? 1 };
    case "stall":
      return { kind: "stall", afterTokens: n ?? 1 };
    default:
      return null;
  }
}

interface ChatBody {
  model?: unknown;
  stream?: unknown;
  stream_options?: { include_usage?: unknown };
  messages?: { role?: string; content?: unknown }[];
}

/** Text of a message's content (string or parts); image parts read as "[image]". */
function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((p: { type?: string; text?: unknown }) =>
    p?.type === "text" && typeof p.text === "string" ? p.text : p?.type === "image_url" ? "[image]" : ""
  ).join(" ");
}

function errorResponse(
  status: number,
  message: string,
  type: string,
  code: string | null,
  headers: HeadersInit = {},
): Response {
  return Response.json({ error: { message, type, param: null, code } }, { status, headers });
}

/** Starts the stub on a free loopback port. */
export function startOpenAIStub(options: OpenAIStubOptions = {}): OpenAIStub {
  let models = options.models ?? ["stub-chat", "stub-vision"];
  let fault: OpenAIStubFault | null = null;
  let faultTimes: number | undefined;
  const requests: OpenAIRecordedRequest[] = [];
  const closing = new AbortController();

  const takeFault = (): OpenAIStubFault | null => {
    if (!fault) return null;
    const f = fault;
    if (faultTimes !== undefined && --faultTimes <= 0) {
      fault = null;
      faultTimes = undefined;
    }
    return f;
  };

  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  const chat = (rec: OpenAIRecordedRequest, body: ChatBody): Response => {
    const messages = Array.isArray(body.messages) ? body.messages : [];
    const lastUser = messages.findLast((m) => m?.role === "user");
    rec.prompt = contentText(lastUser?.content);
    const f = takeFault() ?? faultFromPrompt(rec.prompt);
    rec.fault = f?.kind;
    const respond = (res: Response) => {
      rec.status = res.status;
      if (res.status !== 200) rec.outcome = "completed";
      return res;
    };
    if (typeof body.model !== "string" || !models.includes(body.model)) {
      return respond(errorResponse(
        404,
        `The model \`${String(body.model)}\` does not exist`,
        "invalid_request_error",
        "model_not_found",
      ));
    }
    if (f?.kind === "rate_limit") {
      return respond(errorResponse(429, "Rate limit reached", "requests", "rate_limit_exceeded", {
        "retry-after": String(f.retryAfterSeconds ?? 1),
      }));
    }
    if (f?.kind === "server_error") {
      return respond(errorResponse(f.status ?? 500, "The server had an error", "server_error", null));
    }
    if (f?.kind === "auth") {
      return respond(
        errorResponse(401, "Incorrect API key provided", "invalid_request_error", "invalid_api_key"),
      );
    }
    if (f?.kind === "context_length") {
      return respond(errorResponse(
        400,
        "This model's maximum context length is 8192 tokens. However, your messages resulted in 9001 tokens.",
        "invalid_request_error",
        "context_length_exceeded",
      ));
    }
    const tokens = openAIStubTokens(rec.prompt);
    const promptChars = messages.reduce((n, m) => n + contentText(m?.content).length, 0);
    const usage = {
      prompt_tokens: Math.max(1, Math.ceil(promptChars / 4)),
      completion_tokens: tokens.length,
      total_tokens: Math.max(1, Math.ceil(promptChars / 4)) + tokens.length,
    };
    const id = `chatcmpl-${requests.length}`;
    const created = 1_700_000_000;
    if (body.stream !== true) {
      rec.tokensSent = tokens.length;
      rec.outcome = "completed";
      return respond(Response.json({
        id,
        object: "chat.completion",
        created,
        model: body.model,
        choices: [{
          index: 0,
          message: { role: "assistant", content: tokens.join("") },
          finish_reason: "stop",
        }],
        usage,
      }));
    }
    const includeUsage = body.stream_options?.include_usage === true;
    const frame = (data: unknown) => encoder.encode(`data: ${JSON.stringify(data)}\n\n`);
    const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
      id,
      object: "chat.completion.chunk",
      created,
      model: body.model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    const gone = new AbortController();
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        const delay = options.tokenDelayMs ?? 0;
        try {
          controller.enqueue(frame(chunk({ role: "assistant", content: "" }, null)));
          for (let i = 0; i < tokens.length; i++) {
            if (f && "afterTokens" in f && i === f.afterTokens) {
              if (f.kind === "cut") {
                // Erroring drops queued chunks: let the server write the tokens out first.
                for (let n = 0; n < 200 && (controller.desiredSize ?? 1) <= 0; n++) await wait(1);
                await wait(5);
                rec.outcome = "cut";
                controller.error(new Error("stub: connection cut"));
                return;
              }
              if (f.kind === "error_event") {
                controller.enqueue(
                  frame({
                    error: { message: "The server had an error while streaming", type: "server_error" },
                  }),
                );
                rec.outcome = "completed";
                controller.close();
                return;
              }
              // stall: wait for the client to leave (or the stub to close).
              await new Promise<void>((resolve) => {
                const done = () => resolve();
                gone.signal.addEventListener("abort", done, { once: true });
                closing.signal.addEventListener("abort", done, { once: true });
              });
              return;
            }
            if (delay) await wait(delay);
            if (gone.signal.aborted) return;
            controller.enqueue(frame(chunk({ content: tokens[i] }, null)));
            rec.tokensSent++;
          }
          controller.enqueue(frame(chunk({}, "stop")));
          if (includeUsage) {
            controller.enqueue(
              frame({ id, object: "chat.completion.chunk", created, model: body.model, choices: [], usage }),
            );
          }
          controller.enqueue(encoder.encode("data: [DONE]\n\n"));
          rec.outcome = "completed";
          controller.close();
        } catch {
          // the client went away while enqueueing
        }
      },
      cancel() {
        if (rec.outcome === "pending") rec.outcome = "aborted";
        gone.abort();
      },
    });
    return respond(new Response(stream, { headers: { "content-type": "text/event-stream" } }));
  };

  const server = Deno.serve(
    { port: options.port ?? 0, hostname: "127.0.0.1", onListen: () => {}, signal: closing.signal },
    async (req) => {
      const url = new URL(req.url);
      const rec: OpenAIRecordedRequest = {
        method: req.method,
        path: url.pathname,
        authorization: req.headers.get("authorization"),
        body: undefined,
        status: 0,
        tokensSent: 0,
        outcome: "pending",
      };
      requests.push(rec);
      if (requests.length > (options.recordLimit ?? 1000)) requests.shift();
      if (options.apiKey !== undefined && rec.authorization !== `Bearer ${options.apiKey}`) {
        rec.status = 401;
        rec.outcome = "completed";
        return errorResponse(401, "Incorrect API key provided", "invalid_request_error", "invalid_api_key");
      }
      if (req.method === "GET" && url.pathname === "/v1/models") {
        rec.status = 200;
        rec.outcome = "completed";
        return Response.json({
          object: "list",
          data: models.map((id) => ({ id, object: "model", created: 1_700_000_000, owned_by: "stub" })),
        });
      }
      if (req.method === "POST" && url.pathname === "/v1/chat/completions") {
        try {
          rec.body = await req.json();
        } catch {
          rec.status = 400;
          return errorResponse(400, "We could not parse the JSON body", "invalid_request_error", null);
        }
        return chat(rec, rec.body as ChatBody);
      }
      rec.status = 404;
      rec.outcome = "completed";
      return errorResponse(404, `Unknown route ${req.method} ${url.pathname}`, "invalid_request_error", null);
    },
  );

  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    requests,
    setFault(f, opts = {}) {
      fault = f;
      faultTimes = f ? opts.times : undefined;
    },
    setModels(list) {
      models = list;
    },
    reset() {
      fault = null;
      faultTimes = undefined;
      requests.length = 0;
    },
    async close() {
      closing.abort();
      await server.finished;
    },
  };
}

if (import.meta.main) {
  const arg = (name: string) => {
    const i = Deno.args.indexOf(`--${name}`);
    return i === -1 ? undefined : Deno.args[i + 1];
  };
  const stub = startOpenAIStub({
    port: Number(arg("port") ?? 11435),
    apiKey: arg("api-key"),
    models: arg("models")?.split(","),
    tokenDelayMs: Number(arg("delay-ms") ?? 0),
    recordLimit: 100,
  });
  console.log(`OpenAI stub listening on ${stub.url}`);
}
