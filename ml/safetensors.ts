/**
 * A small reader/writer for the safetensors format (https://github.com/huggingface/safetensors):
 * 8-byte little-endian header length N, N bytes of JSON header `{ name: { dtype, shape, data_offsets:
 * [begin, end] }, "__metadata__"?: { string: string } }` padded with spaces to a multiple of 8, then the
 * raw little-endian tensor bytes, offsets relative to the end of the header.
 */
import { CodedError } from "./errors.ts";

/** Element types of the format this module knows the size of. */
export type SafeDtype = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

const DTYPE_BYTES: Record<SafeDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** Header sizes above this are refused (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

/** One tensor: dtype, shape and its raw little-endian bytes. */
export interface SafeTensor {
  /** Element type. */
  dtype: SafeDtype;
  /** Dimensions. */
  shape: number[];
  /** Raw little-endian bytes. */
  data: Uint8Array;
}

/** A decoded file. */
export interface SafetensorsFile {
  /** Tensors by name. */
  tensors: Map<string, SafeTensor>;
  /** The `__metadata__` strings. */
  metadata: Record<string, string>;
}

/** Why bytes are not a valid safetensors file. */
export type SafetensorsErrorCode =
  | "SAFETENSORS_TRUNCATED"
  | "SAFETENSORS_HEADER"
  | "SAFETENSORS_DTYPE"
  | "SAFETENSORS_OFFSETS";

/** Invalid safetensors input (reading) or tensor description (writing). */
export class SafetensorsError extends CodedError<SafetensorsErrorCode> {}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A float32 tensor with the bytes of `values` in little-endian order. */
export function f32Tensor(shape: number[], values: Float32Array): SafeTensor {
  const data = new Uint8Array(values.length * 4);
  if (LITTLE_ENDIAN_HOST) {
    data.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  } else {
    const view = new DataView(data.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  }
  return { dtype: "F32", shape, data };
}

/** The values of a floating-point tensor (F32, F64, F16, BF16) as float32. */
export function toFloat32(t: SafeTensor): Float32Array {
  const n = elementCount(t.shape);
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out = new Float32Array(n);
  switch (t.dtype) {
    case "F32":
      if (LITTLE_ENDIAN_HOST) return new Float32Array(t.data.slice().buffer); // keeps NaN payloads
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    case "F64":
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    case "BF16": {
      const tmp = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < n; i++) {
        tmp.setUint32(0, view.getUint16(i * 2, true) << 16);
        out[i] = tmp.getFloat32(0);
      }
      return out;
    }
    case "F16":
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      return out;
    default:
      throw new SafetensorsError("SAFETENSORS_DTYPE", `toFloat32 does not convert ${t.dtype}`);
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

function elementCount(shape: number[]): number {
  return shape.reduce((p, c) => p * c, 1);
}

function checkTensor(name: string, t: { dtype: unknown; shape: unknown }): asserts t is SafeTensor {
  if (typeof t.dtype !== "string" || !(t.dtype in DTYPE_BYTES)) {
    throw new SafetensorsError(
      "SAFETENSORS_DTYPE",
      `tensor "${name}": unknown dtype ${JSON.stringify(t.dtype)}`,
    );
  }
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(
      "SAFETENSORS_HEADER",
      `tensor "${name}": bad shape ${JSON.stringify(t.shape)}`,
    );
  }
}

/** Serializes tensors (sorted by name) and optional string metadata into safetensors bytes. */
export function encodeSafetensors(
  tensors: Record<string, SafeTensor> | Map<string, SafeTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const entries = [...(tensors instanceof Map ? tensors.entries() : Object.entries(tensors))]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === "__metadata__") throw new SafetensorsError("SAFETENSORS_HEADER", "__metadata__ is reserved");
    checkTensor(name, t);
    const bytes = elementCount(t.shape) * DTYPE_BYTES[t.dtype];
    if (t.data.byteLength !== bytes) {
      throw new SafetensorsError(
        "SAFETENSORS_OFFSETS",
        `tensor "${name}": ${t.data.byteLength} bytes for ${t.dtype}${
          JSON.stringify(t.shape)
        }, expected ${bytes}`,
      );
    }
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const [, t] of entries) {
    out.set(t.data, at);
    at += t.data.byteLength;
  }
  return out;
}

/**
 * Parses safetensors bytes, validating the header (JSON object, known dtypes, shapes), and that the
 * tensors' byte ranges match their shapes, do not overlap and cover the data section exactly.
 * Tensor data are copies, independent of `bytes`.
 */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.byteLength < 8) throw new SafetensorsError("SAFETENSORS_TRUNCATED", "fewer than 8 bytes");
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError("SAFETENSORS_HEADER", `header of ${n} bytes is too large`);
  }
  const headerLen = Number(n);
  if (8 + headerLen > bytes.byteLength) {
    throw new SafetensorsError(
      "SAFETENSORS_TRUNCATED",
      `header needs ${headerLen} bytes, file has ${bytes.byteLength - 8}`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new SafetensorsError("SAFETENSORS_HEADER", `header is not UTF-8 JSON: ${(e as Error).message}`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new SafetensorsError("SAFETENSORS_HEADER", "header is not a JSON object");
  }
  const dataStart = 8 + headerLen;
  const dataLen = bytes.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const ranges: Array<[number, number, string]> = [];
  const tensors = new Map<string, SafeTensor>();
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      for (const [k, v] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
        if (typeof v !== "string") {
          throw new SafetensorsError("SAFETENSORS_HEADER", `metadata "${k}" is not a string`);
        }
        metadata[k] = v;
      }
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    checkTensor(name, { dtype: info.dtype, shape: info.shape });
    const offsets = info.data_offsets;
    if (
      !Array.isArray(offsets) || offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
    ) {
      throw new SafetensorsError("SAFETENSORS_OFFSETS", `tensor "${name}": bad data_offsets`);
    }
    const [begin, end] = offsets as [number, number];
    const dtype = info.dtype as SafeDtype;
    const shape = info.shape as number[];
    if (end < begin || end > dataLen || end - begin !== elementCount(shape) * DTYPE_BYTES[dtype]) {
      throw new SafetensorsError(
        "SAFETENSORS_OFFSETS",
        `tensor "${name}": data_offsets [${begin}, ${end}] do not fit`,
      );
    }
    ranges.push([begin, end, name]);
    tensors.set(name, { dtype, shape, data: bytes.slice(dataStart + begin, dataStart + end) });
  }
  ranges.sort((a, b) => a[0] - b[0]);
  let cursor = 0;
  for (const [begin, end, name] of ranges) {
    if (begin !== cursor) {
      throw new SafetensorsError(
        "SAFETENSORS_OFFSETS",
        `tensor "${name}" starts at ${begin}, expected ${cursor}`,
      );
    }
    cursor = end;
  }
  if (cursor !== dataLen) {
    throw new SafetensorsError("SAFETENSORS_OFFSETS", `tensors cover ${cursor} of ${dataLen} data bytes`);
  }
  return { tensors, metadata };
}
