/**
 * The slice of tfjs-backend-wasm's `BackendWasm` the native kernels touch: each tensor lives at
 * `dataIdMap.get(dataId).memoryOffset` bytes into the module's linear memory (`wasm.HEAPU8.buffer`).
 * Native code reads and writes those bytes in place (zero copy).
 */
import type { DataType, TensorInfo } from "@tensorflow/tfjs-core";
import { addressOf } from "./openblas.ts";

/** Per-tensor record kept by `BackendWasm.dataIdMap`. */
export interface WasmTensorData {
  memoryOffset: number;
  shape: number[];
  dtype: DataType;
}

/** Structural view of tfjs-backend-wasm's `BackendWasm` (only what the kernels use). */
export interface WasmBackendLike {
  wasm: { HEAPU8: Uint8Array; asm?: { memory?: unknown } };
  dataIdMap: { get(dataId: object): WasmTensorData | undefined };
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  incRef(dataId: object): void;
}

/** True when `backend` has the fields the native kernels rely on. */
export function isWasmBackend(backend: unknown): backend is WasmBackendLike {
  const b = backend as Partial<WasmBackendLike> | null;
  return b != null && typeof b.makeOutput === "function" && typeof b.incRef === "function" &&
    b.dataIdMap != null &&
    b.wasm != null && b.wasm.HEAPU8 instanceof Uint8Array;
}

let cachedBuffer: ArrayBufferLike | null = null;
let cachedBase = 0;

/**
 * Byte address of the wasm heap's start. Memory growth replaces (detaches) the heap buffer, so call
 * this only after every allocation of the kernel (e.g. `makeOutput`) has happened.
 */
export function heapBase(backend: WasmBackendLike): number {
  const buffer = backend.wasm.HEAPU8.buffer;
  if (buffer !== cachedBuffer) {
    cachedBuffer = buffer;
    cachedBase = addressOf(buffer);
  }
  return cachedBase;
}

/** Byte offset of a tensor inside the heap. */
export function offsetOf(backend: WasmBackendLike, t: TensorInfo): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (data === undefined) throw new Error("tensor is not on the wasm backend");
  return data.memoryOffset;
}

/** A Float32Array view over `count` floats of the heap at byte `offset` (take it after allocations). */
export function heapF32(backend: WasmBackendLike, offset: number, count: number): Float32Array {
  return new Float32Array(backend.wasm.HEAPU8.buffer, offset, count);
}
