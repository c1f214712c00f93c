/**
 * What the rest of the app needs from a speech provider, independent of ElevenLabs: the handlers,
 * health check and tests talk to this interface, `elevenlabs.ts` implements it.
 */

/** A selectable voice. */
export interface VoiceInfo {
  id: string;
  name: string;
  /** Provider category (`premade`, `cloned`, ...), when known. */
  category?: string;
  /** URL of a short preview clip, when the provider has one. */
  previewUrl?: string;
}

/** A text-to-speech request. */
export interface SynthesizeRequest {
  text: string;
  voiceId: string;
  /** Aborts the upstream request, including a stream already under way. */
  signal?: AbortSignal;
}

/** A speech-to-text request. */
export interface TranscribeRequest {
  audio: Blob;
  /** Normalized MIME type (no parameters), e.g. `audio/webm`. */
  mimeType: string;
  filename?: string;
  signal?: AbortSignal;
}

/** A transcript. */
export interface Transcript {
  text: string;
  /** ISO 639 language code the provider detected, when it says. */
  languageCode?: string;
}

/** Outcome of a health probe, shaped for `GET /api/health`'s `checks.voice`. */
export interface VoiceHealth {
  ok: boolean;
  provider: string;
  latencyMs?: number;
  error?: string;
}

/** A speech provider. Implementations throw {@link import("./errors.ts").VoiceError} on failure. */
export interface VoiceService {
  /** Provider name for health reports, e.g. `"elevenlabs"`. */
  readonly provider: string;
  /** Voice used when a request names none. */
  readonly defaultVoiceId: string;
  /** Starts synthesis; resolves once the provider has accepted the request, with `audio/mpeg` bytes. */
  synthesize(request: SynthesizeRequest): Promise<ReadableStream<Uint8Array>>;
  /** Lists voices (implementations may cache). */
  listVoices(signal?: AbortSignal): Promise<VoiceInfo[]>;
  /** Transcribes recorded speech. */
  transcribe(request: TranscribeRequest): Promise<Transcript>;
  /** Probes the provider cheaply; never throws. */
  health(): Promise<VoiceHealth>;
}

/** Health of the voice feature: the provider's probe, or browser speech when no key is set. */
export function voiceHealth(service: VoiceService | null): Promise<VoiceHealth> {
  return service ? service.health() : Promise.resolve({ ok: true, provider: "browser" });
}
