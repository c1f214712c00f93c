/**
 * Installs OpenBLAS-backed kernel overrides on tfjs's wasm backend (`unregisterKernel` +
 * `registerKernel`, keeping the stock kernel as the fallback for every case not handled natively),
 * and reports what is active. `ML_NATIVE=off` keeps the stock kernels.
 *
 * ```ts
 * await tf.setBackend("wasm");
 * const status = installNativeKernels(); // never throws
 * console.log(status.summary);            // one line: what is active, or why not
 * ```
 */
import {
  getGradient,
  getKernel,
  type KernelConfig,
  type KernelFunc,
  registerGradient,
  registerKernel,
  type TensorInfo,
  unregisterKernel,
} from "@tensorflow/tfjs-core";
import { type OpenBlas, openOpenBlas } from "./openblas.ts";
import { nativeBatchMatMul, nativeFusedMatMul } from "./matmul.ts";
import { isWasmBackend, type WasmBackendLike } from "./wasm_heap.ts";
import { nativeTranspose } from "./transpose.ts";
import { nativeSum } from "./reduce.ts";
import { nativeIdentity, nativePow } from "./elementwise.ts";
import { nativeCast, nativeTanh } from "./pointwise.ts";
import { ADAMW_KERNEL, fusedAdamW } from "./adamw.ts";
import { GELU_GRAD_KERNEL, GELU_GRADIENT, GELU_KERNEL, nativeGelu, nativeGeluGrad } from "./gelu.ts";
import {
  LAYER_NORM_GRAD_KERNEL,
  LAYER_NORM_GRADIENT,
  LAYER_NORM_KERNEL,
  nativeLayerNorm,
  nativeLayerNormGrad,
} from "./layer_norm.ts";
import { selfTest } from "./self_test.ts";
import { nativeUnpack } from "./unpack.ts";
import {
  installSoftmaxGradient,
  LOG_SOFTMAX_GRAD_KERNEL,
  LOG_SOFTMAX_GRADIENT,
  LOG_SOFTMAX_KERNEL,
  nativeLogSoftmax,
  nativeLogSoftmaxGrad,
  nativeSoftmaxGrad,
  SOFTMAX_GRAD_KERNEL,
} from "./softmax.ts";

/** What {@link installNativeKernels} did. */
export interface NativeStatus {
  /** True when at least one native kernel is registered on the wasm backend. */
  active: boolean;
  /** One line for logs: what is active, or why the stock kernels stay. */
  summary: string;
  /** Kernel names overridden (empty when inactive). */
  kernels: string[];
  /** Library path/name opened, when it was. */
  library?: string;
  /** `openblas_get_config()`. */
  config?: string;
  /** OpenBLAS CPU kernel set (`openblas_get_corename()`). */
  coreName?: string;
  /** OpenBLAS threads. */
  threads?: number;
}

/** Per-kernel call counts since install (native vs fell back to stock). */
export type NativeCallCounts = Record<string, { native: number; fallback: number }>;

/** The overrides, in install order. */
export const NATIVE_KERNEL_NAMES = [
  "BatchMatMul",
  "_FusedMatMul",
  "Transpose",
  "Sum",
  "Pow",
  "Identity",
  "Tanh",
  "Cast",
  "MlAdamWUpdate",
  "MlGelu",
  "MlGeluGrad",
  "MlLayerNorm",
  "MlLayerNormGrad",
  "Unpack",
  "MlLogSoftmax",
  "MlLogSoftmaxGrad",
  "MlSoftmaxGrad",
] as const;

/** Name of one native kernel override. */
export type NativeKernelName = (typeof NATIVE_KERNEL_NAMES)[number];

type NativeImpl = (
  blas: OpenBlas,
  backend: WasmBackendLike,
  args: never,
) => TensorInfo | TensorInfo[] | null;

const IMPLS: Record<NativeKernelName, NativeImpl> = {
  BatchMatMul: nativeBatchMatMul as NativeImpl,
  _FusedMatMul: nativeFusedMatMul as NativeImpl,
  Transpose: nativeTranspose as NativeImpl,
  Sum: nativeSum as NativeImpl,
  Pow: nativePow as NativeImpl,
  Identity: nativeIdentity as NativeImpl,
  Tanh: nativeTanh as NativeImpl,
  Cast: nativeCast as NativeImpl,
  MlAdamWUpdate: fusedAdamW as NativeImpl,
  MlGelu: nativeGelu as NativeImpl,
  MlGeluGrad: nativeGeluGrad as NativeImpl,
  MlLayerNorm: nativeLayerNorm as NativeImpl,
  MlLayerNormGrad: nativeLayerNormGrad as NativeImpl,
  Unpack: nativeUnpack as NativeImpl,
  MlLogSoftmax: nativeLogSoftmax as NativeImpl,
  MlLogSoftmaxGrad: nativeLogSoftmaxGrad as NativeImpl,
  MlSoftmaxGrad: nativeSoftmaxGrad as NativeImpl,
};

/** Fused kernels this module adds to the registry (no stock kernel has these names). */
const ADDED_KERNELS: ReadonlySet<string> = new Set([
  ADAMW_KERNEL,
  GELU_KERNEL,
  GELU_GRAD_KERNEL,
  LAYER_NORM_KERNEL,
  LAYER_NORM_GRAD_KERNEL,
  LOG_SOFTMAX_KERNEL,
  LOG_SOFTMAX_GRAD_KERNEL,
  SOFTMAX_GRAD_KERNEL,
]);

// The tape gradients of the fused forward kernels (used only when those kernels run).
for (const config of [GELU_GRADIENT, LAYER_NORM_GRADIENT, LOG_SOFTMAX_GRADIENT]) {
  if (getGradient(config.kernelName) === undefined) registerGradient(config);
}

let blasCache: OpenBlas | null = null;
const originals = new Map<string, KernelConfig>();
/** Kernels this module adds (no stock kernel of that name): removed again on uninstall. */
const added = new Set<string>();
const counts: NativeCallCounts = {};
let current: NativeStatus = { active: false, summary: "native kernels: not installed", kernels: [] };

function envGet(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

function inactive(reason: string): NativeStatus {
  current = {
    active: false,
    summary: `native kernels off: ${reason}; using stock tfjs wasm kernels`,
    kernels: [],
  };
  return current;
}

/** Registers a kernel that has no stock counterpart (the fused AdamW update, GELU, LayerNorm). */
function add(name: string, blas: OpenBlas, impl: NativeImpl): boolean {
  if (getKernel(name, "wasm") !== undefined) return false;
  const tally = (counts[name] ??= { native: 0, fallback: 0 });
  registerKernel({
    kernelName: name,
    backendName: "wasm",
    kernelFunc: (args) => {
      const out = isWasmBackend(args.backend) ? impl(blas, args.backend, args as never) : null;
      if (out === null) {
        throw new TypeError(`${name}: float32 inputs of one size on the wasm backend expected`);
      }
      tally.native++;
      return out;
    },
  });
  added.add(name);
  return true;
}

function override(name: string, blas: OpenBlas, impl: NativeImpl): boolean {
  if (ADDED_KERNELS.has(name)) return add(name, blas, impl);
  const stock = getKernel(name, "wasm");
  if (stock === undefined) return false;
  const stockFunc = stock.kernelFunc;
  const tally = (counts[name] ??= { native: 0, fallback: 0 });
  const kernelFunc: KernelFunc = (args) => {
    const backend = args.backend;
    if (isWasmBackend(backend)) {
      const out = impl(blas, backend, args as never);
      if (out !== null) {
        tally.native++;
        return out;
      }
    }
    tally.fallback++;
    return stockFunc(args);
  };
  originals.set(name, stock);
  unregisterKernel(name, "wasm");
  registerKernel({ ...stock, kernelFunc });
  return true;
}

/**
 * Replaces the wasm backend's matMul kernels with OpenBLAS ones (and the other kernels in
 * {@link NATIVE_KERNEL_NAMES}, or only `options.kernels`). Call after importing
 * `@tensorflow/tfjs-backend-wasm` (ideally right after `tf.setBackend("wasm")`). Never throws: without
 * OpenBLAS, without `--allow-ffi`, with `ML_NATIVE=off`, or when the OpenBLAS self-test fails, the stock
 * kernels stay and the returned status says why in one line. Calling it again returns the current status.
 */
export function installNativeKernels(
  options: { threads?: number; kernels?: readonly NativeKernelName[] } = {},
): NativeStatus {
  if (originals.size > 0 || added.size > 0) return current;
  const flag = (envGet("ML_NATIVE") ?? "").toLowerCase();
  if (["off", "0", "false", "no"].includes(flag)) return inactive("ML_NATIVE=off");
  try {
    if (getKernel("BatchMatMul", "wasm") === undefined) {
      return inactive("tfjs wasm backend not loaded (import @tensorflow/tfjs-backend-wasm first)");
    }
    if (blasCache === null) {
      const opened = openOpenBlas({ threads: options.threads });
      if (!opened.ok) return inactive(opened.reason);
      const problem = selfTest(opened.blas);
      if (problem !== null) {
        return inactive(`OpenBLAS self-test failed (${problem}); check OPENBLAS_CORETYPE`);
      }
      blasCache = opened.blas;
    } else if (options.threads !== undefined) blasCache.setThreads(options.threads);
    const blas = blasCache;
    const wanted = options.kernels ?? NATIVE_KERNEL_NAMES;
    installSoftmaxGradient(); // runs MlSoftmaxGrad only while that kernel is registered
    const kernels = NATIVE_KERNEL_NAMES.filter((name) =>
      wanted.includes(name) && override(name, blas, IMPLS[name])
    );
    const threads = blas.threads();
    current = {
      active: kernels.length > 0,
      summary:
        `native kernels on: ${kernels.join(", ")} via ${blas.config.split(" ").slice(0, 2).join(" ")} ` +
        `(${blas.coreName}, ${threads} thread${threads === 1 ? "" : "s"}) from ${blas.path}`,
      kernels: [...kernels],
      library: blas.path,
      config: blas.config,
      coreName: blas.coreName,
      threads,
    };
    return current;
  } catch (e) {
    uninstallNativeKernels();
    return inactive(`unexpected error: ${(e as Error).message}`);
  }
}

/** Restores the stock kernels (the library stays open for a later install). Safe to call any time. */
export function uninstallNativeKernels(): void {
  for (const [name, stock] of originals) {
    try {
      unregisterKernel(name, "wasm");
    } catch {
      // already gone
    }
    registerKernel(stock);
  }
  originals.clear();
  for (const name of added) {
    try {
      unregisterKernel(name, "wasm");
    } catch {
      // already gone
    }
  }
  added.clear();
  current = { active: false, summary: "native kernels: not installed", kernels: [] };
}

/** The status of the last install (or "not installed"). */
export function nativeStatus(): NativeStatus {
  return current;
}

/** Calls per overridden kernel since the first install: handled natively vs passed to the stock kernel. */
export function nativeCallCounts(): NativeCallCounts {
  return JSON.parse(JSON.stringify(counts));
}
