/**
 * Reads just enough of an audio file's bytes to know what it is and how long it plays, without
 * decoding it: MPEG audio frame headers (MP3), RIFF/WAVE headers and Ogg page granule positions.
 * WebM/MP4 from `MediaRecorder` carry no reliable duration, so for those callers rely on the size
 * limit and the duration the recorder declares.
 */

/** A decoded 4-byte MPEG audio frame header. */
export interface MpegFrameHeader {
  /** 1 = MPEG-1, 2 = MPEG-2, 2.5 = MPEG-2.5. */
  version: 1 | 2 | 2.5;
  /** 1, 2 or 3 (3 = MP3). */
  layer: 1 | 2 | 3;
  bitrateKbps: number;
  sampleRate: number;
  padding: boolean;
  channels: 1 | 2;
  /** Bytes in the whole frame, header included. */
  frameBytes: number;
  /** PCM samples per channel that the frame decodes to. */
  samplesPerFrame: number;
}

const MPEG1_L3_KBPS = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const MPEG2_L3_KBPS = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const MPEG1_L2_KBPS = [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384];
const MPEG1_L1_KBPS = [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448];
const MPEG2_L1_KBPS = [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256];
const SAMPLE_RATES: Record<1 | 2 | 2.5, number[]> = {
  1: [44100, 48000, 32000],
  2: [22050, 24000, 16000],
  2.5: [11025, 12000, 8000],
};

/**
 * Parses the MPEG audio frame header at `offset`, or returns null when the bytes there are not a
 * valid header (bad sync, reserved version/layer, free or bad bitrate, reserved sample rate).
 */
export function parseMpegFrameHeader(bytes: Uint8Array, offset = 0): MpegFrameHeader | null {
  if (offset + 4 > bytes.length) return null;
  const b1 = bytes[offset + 1], b2 = bytes[offset + 2], b3 = bytes[offset + 3];
  if (bytes[offset] !== 0xff || (b1 & 0xe0) !== 0xe0) return null;
  const versionBits = (b1 >> 3) & 0b11;
  const layerBits = (b1 >> 1) & 0b11;
  if (versionBits === 0b01 || layerBits === 0b00) return null;
  const version = versionBits === 0b11 ? 1 : versionBits === 0b10 ? 2 : 2.5;
  const layer = (4 - layerBits) as 1 | 2 | 3;
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 0b11;
  if (bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return null;
  const table = layer === 1
    ? (version === 1 ? MPEG1_L1_KBPS : MPEG2_L1_KBPS)
    : version === 1
    ? (layer === 2 ? MPEG1_L2_KBPS : MPEG1_L3_KBPS)
    : MPEG2_L3_KBPS;
  const bitrateKbps = table[bitrateIndex];
  const sampleRate = SAMPLE_RATES[version][rateIndex];
  const padding = ((b2 >> 1) & 1) === 1;
  const channels = (b3 >> 6) === 0b11 ? 1 : 2;
  let samplesPerFrame: number;
  let frameBytes: number;
  if (layer === 1) {
    samplesPerFrame = 384;
    frameBytes = (Math.floor((12 * bitrateKbps * 1000) / sampleRate) + (padding ? 1 : 0)) * 4;
  } else {
    samplesPerFrame = layer === 3 && version !== 1 ? 576 : 1152;
    frameBytes = Math.floor(((samplesPerFrame / 8) * bitrateKbps * 1000) / sampleRate) + (padding ? 1 : 0);
  }
  return { version, layer, bitrateKbps, sampleRate, padding, channels, frameBytes, samplesPerFrame };
}

/** Offset just past an ID3v2 tag at the start of `bytes`, or 0 when there is none. */
function skipId3v2(bytes: Uint8Array): number {
  if (bytes.length < 10 || bytes[0] !== 0x49 || bytes[1] !== 0x44 || bytes[2] !== 0x33) return 0;
  const size = ((bytes[6] & 0x7f) << 21) | ((bytes[7] & 0x7f) << 14) | ((bytes[8] & 0x7f) << 7) |
    (bytes[9] & 0x7f);
  return 10 + size + ((bytes[5] & 0x10) ? 10 : 0);
}

/**
 * Walks the MPEG frames of an MP3 and sums their durations. Returns null unless at least one
 * frame parses at the start (after an optional ID3v2 tag). Stops at the first byte that is not a
 * frame header (trailing tags, truncation).
 */
export function mp3DurationSeconds(bytes: Uint8Array): number | null {
  let offset = skipId3v2(bytes);
  let seconds = 0;
  let frames = 0;
  while (offset < bytes.length) {
    const h = parseMpegFrameHeader(bytes, offset);
    if (!h || h.frameBytes <= 4) break;
    seconds += h.samplesPerFrame / h.sampleRate;
    frames++;
    offset += h.frameBytes;
  }
  return frames > 0 ? seconds : null;
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

/** Duration of a RIFF/WAVE file from its `fmt ` byte rate and `data` size, or null if not WAVE. */
export function wavDurationSeconds(bytes: Uint8Array): number | null {
  if (bytes.length < 12 || ascii(bytes, 0, 4) !== "RIFF" || ascii(bytes, 8, 4) !== "WAVE") return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 12;
  let byteRate = 0;
  while (offset + 8 <= bytes.length) {
    const id = ascii(bytes, offset, 4);
    const size = view.getUint32(offset + 4, true);
    if (id === "fmt " && offset + 16 <= bytes.length) byteRate = view.getUint32(offset + 16, true);
    if (id === "data") {
      if (byteRate === 0) return null;
      // Streaming writers (espeak-ng to a pipe) put 0xFFFFFFFF here: count the bytes present.
      const present = bytes.length - (offset + 8);
      const dataBytes = size === 0xffffffff || size > present ? present : size;
      return dataBytes / byteRate;
    }
    offset += 8 + size + (size & 1);
  }
  return null;
}

/**
 * Duration of an Ogg Opus or Ogg Vorbis stream from the granule position of its last page
 * (Opus granules count 48 kHz samples, minus the pre-skip; Vorbis granules count samples at the
 * identification header's rate). Null when not Ogg or the codec is unknown.
 */
export function oggDurationSeconds(bytes: Uint8Array): number | null {
  if (bytes.length < 27 || ascii(bytes, 0, 4) !== "OggS") return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const firstPacket = 27 + bytes[26];
  let rate: number;
  let preSkip = 0;
  if (ascii(bytes, firstPacket, 8) === "OpusHead") {
    rate = 48000;
    preSkip = view.getUint16(firstPacket + 10, true);
  } else if (ascii(bytes, firstPacket + 1, 6) === "vorbis") {
    rate = view.getUint32(firstPacket + 12, true);
  } else {
    return null;
  }
  for (let i = bytes.length - 27; i >= 0; i--) {
    if (bytes[i] === 0x4f && ascii(bytes, i, 4) === "OggS") {
      const granule = Number(view.getBigInt64(i + 6, true));
      if (granule < 0) continue;
      return Math.max(0, granule - preSkip) / rate;
    }
  }
  return null;
}

/**
 * Best-effort duration in seconds for the formats whose bytes say it (WAV, MP3, Ogg); null for
 * the rest (WebM, MP4/AAC, FLAC), which callers bound by size and the declared duration.
 */
export function probeAudioDurationSeconds(bytes: Uint8Array, mimeType: string): number | null {
  switch (mimeType) {
    case "audio/wav":
    case "audio/wave":
    case "audio/x-wav":
      return wavDurationSeconds(bytes);
    case "audio/mpeg":
    case "audio/mp3":
      return mp3DurationSeconds(bytes);
    case "audio/ogg":
    case "audio/opus":
      return oggDurationSeconds(bytes);
    default:
      return null;
  }
}
