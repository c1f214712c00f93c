/**
 * {@link VoiceService} backed by ElevenLabs through the official SDK `@elevenlabs/elevenlabs-js`:
 * streaming text-to-speech (`POST /v1/text-to-speech/{voice}/stream`), the voice list
 * (`GET /v1/voices`, cached) and speech-to-text (`POST /v1/speech-to-text`). `baseUrl` points the
 * SDK at a proxy or at the test stub. SDK errors become {@link VoiceError}s whose messages are
 * ours, so nothing the provider echoes (nor the key) reaches a client.
 */
import { ElevenLabsClient, ElevenLabsError, ElevenLabsTimeoutError } from "@elevenlabs/elevenlabs-js";
import { VoiceError } from "./errors.ts";
import type {
  SynthesizeRequest,
  TranscribeRequest,
  Transcript,
  VoiceHealth,
  VoiceInfo,
  VoiceService,
} from "./service.ts";

/** Voice used when neither the request nor `ELEVENLABS_VOICE_ID` names one ("George", premade). */
export const DEFAULT_VOICE_ID = "JBFqnCBsd6RMkjVDRZzb";
/** Low-latency TTS model. */
export const DEFAULT_TTS_MODEL = "eleven_flash_v2_5";
/** Speech-to-text model. */
export const DEFAULT_STT_MODEL = "scribe_v1";

/** Options of {@link createElevenLabsService}. */
export interface ElevenLabsOptions {
  apiKey: string;
  /** API origin, e.g. a proxy or the test stub; default the SDK's production URL. */
  baseUrl?: string;
  defaultVoiceId?: string;
  ttsModelId?: string;
  sttModelId?: string;
  /** SDK `outputFormat`; default `mp3_44100_128`. */
  outputFormat?: "mp3_22050_32" | "mp3_44100_64" | "mp3_44100_128";
  /** Seconds until response headers; default 20 (TTS/voices) — the body may stream longer. */
  timeoutSeconds?: number;
  /** Seconds for speech-to-text, which answers only when transcription is done; default 60. */
  sttTimeoutSeconds?: number;
  /** SDK retries on 408/429/5xx (it honors Retry-After). Default 0: a voice reply is better late-failed than late. */
  maxRetries?: number;
  /** How long the voice list is cached, ms. Default 10 minutes. */
  voicesTtlMs?: number;
  /** Custom fetch (tests). */
  fetch?: typeof fetch;
}

function retryAfterOf(err: ElevenLabsError): number | undefined {
  const raw = err.rawResponse?.headers?.get?.("retry-after");
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** Maps anything the SDK throws to a {@link VoiceError} with our own message. */
export function toVoiceError(err: unknown, what: string, signal?: AbortSignal): VoiceError {
  if (err instanceof VoiceError) return err;
  if (signal?.aborted) return new VoiceError("aborted", `${what}: aborted by the caller`, { cause: err });
  if (err instanceof ElevenLabsTimeoutError) {
    return new VoiceError("upstream_timeout", `${what}: ElevenLabs did not answer in time`, { cause: err });
  }
  if (err instanceof ElevenLabsError) {
    const status = err.statusCode;
    if (status === 401 || status === 403) {
      return new VoiceError("upstream_auth", `${what}: ElevenLabs rejected the configured API key`, {
        upstreamStatus: status,
        cause: err,
      });
    }
    if (status === 429) {
      return new VoiceError("upstream_rate_limited", `${what}: ElevenLabs is rate limiting this server`, {
        upstreamStatus: status,
        retryAfterSeconds: retryAfterOf(err) ?? 1,
        cause: err,
      });
    }
    if (status === 404) {
      return new VoiceError("unknown_voice", `${what}: ElevenLabs does not know that voice`, {
        upstreamStatus: status,
        cause: err,
      });
    }
    if (status === undefined) {
      return new VoiceError("upstream_unreachable", `${what}: ElevenLabs could not be reached`, {
        cause: err,
      });
    }
    return new VoiceError("upstream_error", `${what}: ElevenLabs answered with status ${status}`, {
      upstreamStatus: status,
      cause: err,
    });
  }
  return new VoiceError("upstream_error", `${what}: unexpected failure talking to ElevenLabs`, {
    cause: err,
  });
}

/** Creates the ElevenLabs-backed voice service. */
export function createElevenLabsService(options: ElevenLabsOptions): VoiceService {
  const client = new ElevenLabsClient({
    apiKey: options.apiKey,
    baseUrl: options.baseUrl,
    maxRetries: options.maxRetries ?? 0,
    timeoutInSeconds: options.timeoutSeconds ?? 20,
    fetch: options.fetch,
  });
  const defaultVoiceId = options.defaultVoiceId ?? DEFAULT_VOICE_ID;
  const ttsModelId = options.ttsModelId ?? DEFAULT_TTS_MODEL;
  const sttModelId = options.sttModelId ?? DEFAULT_STT_MODEL;
  const outputFormat = options.outputFormat ?? "mp3_44100_128";
  const voicesTtlMs = options.voicesTtlMs ?? 10 * 60_000;
  let voicesCache: { at: number; voices: Promise<VoiceInfo[]> } | null = null;

  async function fetchVoices(signal?: AbortSignal): Promise<VoiceInfo[]> {
    try {
      const res = await client.voices.getAll({}, { abortSignal: signal });
      return res.voices.map((v) => ({
        id: v.voiceId,
        name: v.name ?? v.voiceId,
        ...(v.category ? { category: String(v.category) } : {}),
        ...(v.previewUrl ? { previewUrl: v.previewUrl } : {}),
      }));
    } catch (err) {
      throw toVoiceError(err, "listing voices", signal);
    }
  }

  return {
    provider: "elevenlabs",
    defaultVoiceId,

    async synthesize({ text, voiceId, signal }: SynthesizeRequest): Promise<ReadableStream<Uint8Array>> {
      try {
        return await client.textToSpeech.stream(voiceId, { text, modelId: ttsModelId, outputFormat }, {
          abortSignal: signal,
        });
      } catch (err) {
        throw toVoiceError(err, "text-to-speech", signal);
      }
    },

    listVoices(signal?: AbortSignal): Promise<VoiceInfo[]> {
      const now = Date.now();
      if (voicesCache && now - voicesCache.at < voicesTtlMs) return voicesCache.voices;
      const entry = { at: now, voices: fetchVoices(signal) };
      voicesCache = entry;
      // A failed lookup must not be cached.
      entry.voices.catch(() => {
        if (voicesCache === entry) voicesCache = null;
      });
      return entry.voices;
    },

    async transcribe({ audio, mimeType, filename, signal }: TranscribeRequest): Promise<Transcript> {
      try {
        const res = await client.speechToText.convert({
          modelId: sttModelId,
          // Re-typed so the part's type is the bare MIME type (no "; codecs=...").
          file: {
            data: new Blob([audio], { type: mimeType }),
            filename: filename ?? `speech.${mimeType.split("/")[1] ?? "bin"}`,
            contentType: mimeType,
          },
        }, { abortSignal: signal, timeoutInSeconds: options.sttTimeoutSeconds ?? 60 });
        const text = (res as { text?: unknown }).text;
        if (typeof text !== "string") {
          throw new VoiceError("upstream_error", "speech-to-text: ElevenLabs answered without a transcript");
        }
        const languageCode = (res as { languageCode?: unknown }).languageCode;
        return { text, ...(typeof languageCode === "string" ? { languageCode } : {}) };
      } catch (err) {
        throw toVoiceError(err, "speech-to-text", signal);
      }
    },

    async health(): Promise<VoiceHealth> {
      const started = performance.now();
      try {
        await fetchVoices(AbortSignal.timeout(5000));
        return { ok: true, provider: "elevenlabs", latencyMs: Math.round(performance.now() - started) };
      } catch (err) {
        const message = err instanceof VoiceError ? err.message : "voice check failed";
        return {
          ok: false,
          provider: "elevenlabs",
          latencyMs: Math.round(performance.now() - started),
          error: message,
        };
      }
    },
  };
}

/** The environment variables the voice layer reads. */
export interface VoiceEnv {
  ELEVENLABS_API_KEY?: string;
  ELEVENLABS_VOICE_ID?: string;
  ELEVENLABS_BASE_URL?: string;
}

/**
 * The ElevenLabs service configured from the environment, or null when `ELEVENLABS_API_KEY` is
 * unset or blank (the handlers then answer 501 and the browser speaks by itself).
 */
export function voiceServiceFromEnv(
  env: VoiceEnv,
  extra: Omit<ElevenLabsOptions, "apiKey" | "baseUrl" | "defaultVoiceId"> = {},
): VoiceService | null {
  const apiKey = env.ELEVENLABS_API_KEY?.trim();
  if (!apiKey) return null;
  return createElevenLabsService({
    ...extra,
    apiKey,
    baseUrl: env.ELEVENLABS_BASE_URL?.trim() || undefined,
    defaultVoiceId: env.ELEVENLABS_VOICE_ID?.trim() || undefined,
  });
}
