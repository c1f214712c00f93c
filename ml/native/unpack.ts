/**
 * Native `Unpack` (`tf.unstack`) for the wasm backend: along axis 0 each output is one contiguous run
 * of the input, copied with `TypedArray.prototype.set` (a memcpy); along another axis, one run per outer
 * index. Attention splits its fused QKV tensor this way; the stock kernel slices element by element.
 */
import type { TensorInfo } from "@tensorflow/tfjs-core";
import { offsetOf, type WasmBackendLike } from "./wasm_heap.ts";

const BYTES = { float32: 4, int32: 4, bool: 1 } as const;

/** Unpack of a float32/int32/bool tensor along `axis`; null for other dtypes (stock kernel then). */
export function nativeUnpack(
  _blas: unknown,
  backend: WasmBackendLike,
  args: { inputs: { value: TensorInfo }; attrs: { axis: number } },
): TensorInfo[] | null {
  const { value } = args.inputs;
  if (!(value.dtype in BYTES)) return null;
  const size = BYTES[value.dtype as keyof typeof BYTES];
  const rank = value.shape.length;
  const axis = args.attrs.axis < 0 ? args.attrs.axis + rank : args.attrs.axis;
  if (axis < 0 || axis >= rank) return null;
  const count = value.shape[axis];
  const outer = value.shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const inner = value.shape.slice(axis + 1).reduce((p, d) => p * d, 1) * size; // bytes per run
  const shape = value.shape.filter((_, i) => i !== axis);
  const outs = Array.from({ length: count }, () => backend.makeOutput([...shape], value.dtype));
  // Views only after every allocation: makeOutput can grow (and so detach) the heap.
  const heap = backend.wasm.HEAPU8;
  const src = offsetOf(backend, value);
  outs.forEach((out, k) => {
    const dst = offsetOf(backend, out);
    for (let o = 0; o < outer; o++) {
      const from = src + (o * count + k) * inner;
      heap.copyWithin(dst + o * inner, from, from + inner);
    }
  });
  return outs;
}
