/**
 * A local server that speaks the parts of ElevenLabs' REST protocol Mini-Claude uses, so the real
 * `@elevenlabs/elevenlabs-js` SDK (pointed at it with `baseUrl`) can be tested offline:
 *
 * - `POST /v1/text-to-speech/{voice_id}` and `.../stream`: `audio/mpeg` bytes, a deterministic
 *   silent MP3 (MPEG-1 Layer III, 32 kbps, 48 kHz, mono frames) whose length grows with the text;
 * - `GET /v1/voices` and `GET /v2/voices`;
 * - `POST /v1/speech-to-text` (multipart with `model_id` and `file`): a configurable transcript.
 *
 * Every request needs the `xi-api-key` header equal to the configured key (else 401 as ElevenLabs
 * answers). Faults (401, 429 with Retry-After, 500, a stream cut mid-way) and latency are
 * switchable at run time; every request is logged.
 */

/** One silent MPEG-1 Layer III frame: 32 kbps, 48 kHz, mono, no CRC; 96 bytes = 24 ms of audio. */
export const SILENT_MP3_FRAME: Uint8Array = (() => {
  const frame = new Uint8Array(96);
  frame.set([0xff, 0xfb, 0x14, 0xc0]);
  return frame;
})();

/** Duration of one {@link SILENT_MP3_FRAME} in seconds. */
export const SILENT_MP3_FRAME_SECONDS = 1152 / 48000;

/** Deterministic silent MP3: `frames` copies of {@link SILENT_MP3_FRAME}. */
export function silentMp3(frames: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(frames * SILENT_MP3_FRAME.length);
  for (let i = 0; i < frames; i++) out.set(SILENT_MP3_FRAME, i * SILENT_MP3_FRAME.length);
  return out;
}

/** A fault the stub injects into matching requests. */
export type StubFault =
  | { kind: "unauthorized" }
  | { kind: "rate_limited"; retryAfterSeconds?: number }
  | { kind: "server_error" }
  /** Sends `afterBytes` bytes of audio (TTS only), then aborts the connection. */
  | { kind: "cut"; afterBytes?: number };

/** Which endpoint a fault applies to; default all. */
export type StubEndpoint = "tts" | "voices" | "stt" | "all";

/** A logged request. */
export interface StubRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Header names lower-cased; values as received (the key included, for assertions). */
  headers: Record<string, string>;
  /** Parsed JSON body for JSON requests. */
  json?: unknown;
  /** Multipart text fields, and file fields as `{ name, type, size }`. */
  form?: Record<string, string | { name: string; type: string; size: number }>;
  /** Status the stub answered with. */
  status: number;
  /** `performance.now()` at arrival. */
  at: number;
}

/** Options of {@link startElevenLabsStub}. */
export interface ElevenLabsStubOptions {
  /** Key the `xi-api-key` header must carry. Default `"test-key"`. */
  apiKey?: string;
  /** Port to listen on (loopback); 0 = any free port (default). */
  port?: number;
  /** Delay before the response headers of every request, ms. Default 0. */
  latencyMs?: number;
  /** Extra delay before TTS headers per character of text (synthesis time), ms. Default 0. */
  msPerChar?: number;
  /** Delay between streamed audio chunks, ms. Default 0. */
  chunkDelayMs?: number;
  /** Audio frames per streamed chunk. Default 8 (768 bytes, 192 ms of audio). */
  framesPerChunk?: number;
  /** Audio frames per character of text (speech runs ~15 chars/s ≈ 2.8 frames/char). Default 3. */
  framesPerChar?: number;
  /** Transcript returned by speech-to-text. Default `"hello from the stub"`. */
  transcript?: string;
  /** Voices listed. Default two fixed voices. */
  voices?: Array<{ voice_id: string; name: string; category?: string }>;
}

/** Handle returned by {@link startElevenLabsStub}. */
export interface ElevenLabsStub {
  /** Base URL, e.g. `http://127.0.0.1:41234` (pass as the SDK's `baseUrl`). */
  url: string;
  /** Requests seen so far, oldest first. */
  requests: StubRequest[];
  /** Injects a fault into the next `times` matching requests (default: until cleared). */
  setFault(fault: StubFault | null, options?: { endpoint?: StubEndpoint; times?: number }): void;
  /** Changes the speech-to-text transcript. */
  setTranscript(text: string): void;
  /** Changes latency settings at run time. */
  setLatency(latency: { latencyMs?: number; msPerChar?: number; chunkDelayMs?: number }): void;
  /** Stops the server and waits for it to finish. */
  close(): Promise<void>;
}

/** Voices listed by default. */
export const STUB_VOICES = [
  { voice_id: "JBFqnCBsd6RMkjVDRZzb", name: "George", category: "premade" },
  { voice_id: "21m00Tcm4TlvDq8ikWAM", name: "Rachel", category: "premade" },
];

const sleep = (ms: number) => ms > 0 ? new Promise<void>((r) => setTimeout(r, ms)) : Promise.resolve();

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

function endpointOf(path: string): StubEndpoint | null {
  if (/^\/v1\/text-to-speech\/[^/]+(\/stream)?$/.test(path)) return "tts";
  if (path === "/v1/voices" || path === "/v2/voices") return "voices";
  if (path === "/v1/speech-to-text") return "stt";
  return null;
}

/** Starts the stub on a loopback port. */
export function startElevenLabsStub(options: ElevenLabsStubOptions = {}): Promise<ElevenLabsStub> {
  const apiKey = options.apiKey ?? "test-key";
  const latency = {
    latencyMs: options.latencyMs ?? 0,
    msPerChar: options.msPerChar ?? 0,
    chunkDelayMs: options.chunkDelayMs ?? 0,
  };
  const framesPerChunk = options.framesPerChunk ?? 8;
  const framesPerChar = options.framesPerChar ?? 3;
  const voices = options.voices ?? STUB_VOICES;
  let transcript = options.transcript ?? "hello from the stub";
  let fault: { fault: StubFault; endpoint: StubEndpoint; remaining: number } | null = null;
  const requests: StubRequest[] = [];

  function takeFault(endpoint: StubEndpoint): StubFault | null {
    if (!fault || (fault.endpoint !== "all" && fault.endpoint !== endpoint)) return null;
    const f = fault.fault;
    if (--fault.remaining <= 0) fault = null;
    return f;
  }

  async function handle(req: Request, log: StubRequest): Promise<Response> {
    const url = new URL(req.url);
    const endpoint = endpointOf(url.pathname);
    if (!endpoint) return json(404, { detail: { status: "not_found", message: "Not found" } });
    if (req.headers.get("xi-api-key") !== apiKey) {
      return json(401, { detail: { status: "invalid_api_key", message: "Invalid API key" } });
    }
    let text = "";
    if (endpoint === "tts") {
      if (req.method !== "POST") return json(405, { detail: { message: "Method not allowed" } });
      const body = await req.json().catch(() => null) as { text?: unknown } | null;
      log.json = body;
      if (!body || typeof body.text !== "string" || body.text.length === 0) {
        return json(422, { detail: [{ loc: ["body", "text"], msg: "field required", type: "missing" }] });
      }
      text = body.text;
    } else if (endpoint === "stt") {
      if (req.method !== "POST") return json(405, { detail: { message: "Method not allowed" } });
      const form = await req.formData().catch(() => null);
      if (!form) return json(422, { detail: [{ loc: ["body"], msg: "multipart body required" }] });
      log.form = {};
      for (const [k, v] of form.entries()) {
        log.form[k] = typeof v === "string" ? v : { name: v.name, type: v.type, size: v.size };
      }
      if (typeof log.form.model_id !== "string" || typeof log.form.file !== "object") {
        return json(422, { detail: [{ loc: ["body"], msg: "model_id and file are required" }] });
      }
    }

    const f = takeFault(endpoint);
    await sleep(latency.latencyMs + (endpoint === "tts" ? latency.msPerChar * text.length : 0));
    if (f?.kind === "unauthorized") {
      return json(401, { detail: { status: "invalid_api_key", message: "Invalid API key" } });
    }
    if (f?.kind === "rate_limited") {
      return json(429, {
        detail: { status: "too_many_concurrent_requests", message: "Too many concurrent requests" },
      }, { "retry-after": String(f.retryAfterSeconds ?? 1) });
    }
    if (f?.kind === "server_error") {
      return json(500, { detail: { status: "internal_error", message: "Internal server error" } });
    }

    if (endpoint === "voices") {
      const list = voices.map((v) => ({
        voice_id: v.voice_id,
        name: v.name,
        category: v.category ?? "premade",
        labels: {},
        preview_url: null,
      }));
      return url.pathname === "/v2/voices"
        ? json(200, { voices: list, has_more: false, total_count: list.length, next_page_token: null })
        : json(200, { voices: list });
    }
    if (endpoint === "stt") {
      const words = transcript.split(/\s+/).filter(Boolean).map((w, i) => ({
        text: w,
        start: i * 0.4,
        end: i * 0.4 + 0.3,
        type: "word",
        logprob: 0,
      }));
      return json(200, { language_code: "en", language_probability: 1, text: transcript, words });
    }

    const audio = silentMp3(Math.max(1, Math.ceil(text.length * framesPerChar)));
    const chunkBytes = framesPerChunk * SILENT_MP3_FRAME.length;
    const cutAt = f?.kind === "cut" ? Math.min(f.afterBytes ?? chunkBytes, audio.length - 1) : Infinity;
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent > 0) await sleep(latency.chunkDelayMs);
        if (sent >= cutAt) {
          controller.error(new Error("stub: stream cut (injected fault)"));
          return;
        }
        const end = Math.min(audio.length, sent + chunkBytes, cutAt);
        controller.enqueue(audio.slice(sent, end));
        sent = end;
        if (sent >= audio.length) controller.close();
      },
    });
    return new Response(body, {
      status: 200,
      headers: { "content-type": "audio/mpeg", "request-id": crypto.randomUUID() },
    });
  }

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: options.port ?? 0, onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      const log: StubRequest = {
        method: req.method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: Object.fromEntries([...req.headers].map(([k, v]) => [k.toLowerCase(), v])),
        status: 0,
        at: performance.now(),
      };
      requests.push(log);
      const res = await handle(req, log);
      log.status = res.status;
      return res;
    },
  );
  const addr = server.addr as Deno.NetAddr;
  return Promise.resolve({
    url: `http://127.0.0.1:${addr.port}`,
    requests,
    setFault(f, opts = {}) {
      fault = f ? { fault: f, endpoint: opts.endpoint ?? "all", remaining: opts.times ?? Infinity } : null;
    },
    setTranscript(text) {
      transcript = text;
    },
    setLatency(l) {
      Object.assign(latency, Object.fromEntries(Object.entries(l).filter(([, v]) => v !== undefined)));
    },
    async close() {
      await server.shutdown();
    },
  });
}
