/**
 * The tfjs runtime for everything under `ml/`: one namespace `tf` (tfjs-core with every op's gradient
 * registered) and one function, {@link initBackend}, that selects and starts the backend.
 *
 * On wasm, matMul-heavy kernels are replaced by OpenBLAS calls through Deno FFI when the library is
 * present (`ml/native/`); otherwise the stock kernels run, and {@link nativeKernelStatus} says why.
 *
 * tfjs-core's Node bundle registers no gradients; importing the `@tensorflow/tfjs` union package does,
 * into the same engine, so every module imports `tf` from here rather than from tfjs-core directly.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import { installNativeKernels, type NativeStatus } from "./native/kernels.ts";
import { CodedError } from "./errors.ts";

export { tf };

/** Backends `ml/` can run on. */
export type BackendName = "wasm" | "cpu" | "webgpu";

/** The backends accepted by `ML_BACKEND`, in order of preference. */
export const BACKENDS: readonly BackendName[] = ["wasm", "cpu", "webgpu"];

/** Why a backend could not start. */
export type BackendErrorCode =
  | "BACKEND_UNKNOWN"
  | "BACKEND_START_FAILED"
  | "WEBGPU_UNAVAILABLE"
  | "WEBGPU_FALLBACK_ADAPTER";

/** A backend was asked for that cannot run here; `code` says why. */
export class BackendError extends CodedError<BackendErrorCode> {}

/** Returns the requested backend name from an explicit argument or `ML_BACKEND` (default `wasm`). */
export function requestedBackend(explicit?: string): BackendName {
  const raw = (explicit ?? Deno.env.get("ML_BACKEND") ?? "wasm").trim().toLowerCase();
  if ((BACKENDS as readonly string[]).includes(raw)) return raw as BackendName;
  throw new BackendError("BACKEND_UNKNOWN", `ML_BACKEND="${raw}" is not one of ${BACKENDS.join(", ")}`);
}

/**
 * Returns null when a real (non-fallback) WebGPU adapter exists, else the reason there is none.
 * Software adapters (e.g. SwiftShader/llvmpipe) report `isFallbackAdapter` and are refused: they are
 * slower than wasm.
 */
export async function webgpuUnavailableReason(): Promise<string | null> {
  const gpu = (globalThis.navigator as { gpu?: GPU } | undefined)?.gpu;
  if (!gpu) return "this runtime has no navigator.gpu";
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (e) {
    return `requestAdapter failed: ${(e as Error).message}`;
  }
  if (!adapter) return "no WebGPU adapter found";
  const info = (adapter as GPUAdapter & { info?: { isFallbackAdapter?: boolean } }).info;
  const fallback = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter ??
    info?.isFallbackAdapter ?? false;
  return fallback ? "fallback" : null;
}

/**
 * Selects and starts a tfjs backend: `name`, else `ML_BACKEND`, else `wasm`. Throws a
 * {@link BackendError} when it cannot start (tfjs's own `setBackend` only returns false). Calling it
 * again with the backend already active is a no-op. Returns the active backend's name.
 */
export async function initBackend(name?: string): Promise<BackendName> {
  const wanted = requestedBackend(name);
  if (tf.getBackend() === wanted) return wanted;
  if (wanted === "webgpu") {
    const reason = await webgpuUnavailableReason();
    if (reason === "fallback") {
      throw new BackendError("WEBGPU_FALLBACK_ADAPTER", "the only WebGPU adapter is a software fallback");
    }
    if (reason !== null) throw new BackendError("WEBGPU_UNAVAILABLE", reason);
    await import("@tensorflow/tfjs-backend-webgpu");
  }
  if (wanted === "wasm") checkWasmReadable();
  let ok: boolean;
  try {
    ok = await tf.setBackend(wanted);
    await tf.ready();
  } catch (e) {
    throw new BackendError(
      "BACKEND_START_FAILED",
      `backend "${wanted}" failed to start: ${(e as Error).message}`,
    );
  }
  if (!ok || tf.getBackend() !== wanted) {
    throw new BackendError(
      "BACKEND_START_FAILED",
      `tfjs refused backend "${wanted}" (setBackend returned false)`,
    );
  }
  if (wanted === "wasm") nativeStatusAtInit = installNativeKernels();
  return wanted;
}

/**
 * tfjs's wasm loader turns a refused read of its `.wasm` file into several lines of Emscripten output
 * and a `false`; reading the folder first lets a missing `--allow-read` surface as Deno's own
 * `NotCapable` (which the tasks print as one line naming the flag).
 */
function checkWasmReadable(): void {
  const entry = import.meta.resolve("@tensorflow/tfjs-backend-wasm");
  if (entry.startsWith("file:")) Deno.statSync(new URL(".", entry));
}

let nativeStatusAtInit: NativeStatus | null = null;

/**
 * What the native OpenBLAS kernels are doing on the wasm backend: one line (`summary`) saying they
 * are on, or why the stock kernels are used (no OpenBLAS, no `--allow-ffi`, `ML_NATIVE=off`). Null
 * before the wasm backend was initialized.
 */
export function nativeKernelStatus(): NativeStatus | null {
  return nativeStatusAtInit;
}

/** Number of live tensors in the engine; tests compare it before and after work to prove no leak. */
export function liveTensors(): number {
  return tf.memory().numTensors;
}
