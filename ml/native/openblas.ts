/**
 * OpenBLAS through Deno FFI: finds and opens the shared library, exposes the few CBLAS routines the
 * native kernels need (row-major `sgemm`, `sgemv`) on raw addresses, and sets the thread count.
 *
 * Addresses are plain numbers (byte addresses inside the process) so a call allocates nothing; callers
 * get a buffer's base address once with {@link addressOf} and add byte offsets.
 */

import { pinLibrary } from "./pin.ts";

/** CBLAS enum values (cblas.h). */
const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

const SYMBOLS = {
  cblas_sgemm: {
    parameters: [
      "i32", // order
      "i32", // transA
      "i32", // transB
      "i32", // M
      "i32", // N
      "i32", // K
      "f32", // alpha
      "usize", // A
      "i32", // lda
      "usize", // B
      "i32", // ldb
      "f32", // beta
      "usize", // C
      "i32", // ldc
    ],
    result: "void",
  },
  cblas_sgemv: {
    parameters: [
      "i32", // order
      "i32", // trans
      "i32", // M
      "i32", // N
      "f32", // alpha
      "usize", // A
      "i32", // lda
      "usize", // x
      "i32", // incx
      "f32", // beta
      "usize", // y
      "i32", // incy
    ],
    result: "void",
  },
  openblas_set_num_threads: { parameters: ["i32"], result: "void" },
  openblas_get_num_threads: { parameters: [], result: "i32" },
  openblas_get_config: { parameters: [], result: "pointer" },
  openblas_get_corename: { parameters: [], result: "pointer" },
} as const;

/** Library names and paths tried in order (after `ML_OPENBLAS_LIB` when set). */
export const OPENBLAS_CANDIDATES: readonly string[] = [
  "libopenblas.so.0",
  "libopenblas.so",
  "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
  "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
  "/usr/lib64/libopenblas.so.0",
  "/usr/lib/libopenblas.so.0",
  "/usr/local/lib/libopenblas.so.0",
  "/usr/local/lib/libopenblas.so",
  "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
  "/usr/local/opt/openblas/lib/libopenblas.dylib",
  "libopenblas.dll",
];

/** An opened OpenBLAS library. All matrices are row-major float32 at byte addresses. */
export interface OpenBlas {
  /** Path or name the library was opened from. */
  readonly path: string;
  /** True when the library stays loaded until exit (see `pin.ts`); closing an isolate is then safe. */
  readonly pinned: boolean;
  /** `openblas_get_config()`, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH ...". */
  readonly config: string;
  /** `openblas_get_corename()`, the CPU kernel set chosen at load (e.g. "Haswell"). */
  readonly coreName: string;
  /** C[M×N] = alpha·op(A)·op(B) + beta·C. */
  sgemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    beta: number,
    c: number,
    ldc: number,
  ): void;
  /** y = alpha·op(A)·x + beta·y with A [M×N] row-major (op(A) = Aᵀ when `trans`). */
  sgemv(
    trans: boolean,
    m: number,
    n: number,
    alpha: number,
    a: number,
    lda: number,
    x: number,
    incx: number,
    beta: number,
    y: number,
    incy: number,
  ): void;
  /** Threads OpenBLAS uses now. */
  threads(): number;
  /** Sets the OpenBLAS thread count. */
  setThreads(n: number): void;
  /** Closes the library; the object must not be used afterwards. */
  close(): void;
}

/** Result of {@link openOpenBlas}: the library, or why it is not available. */
export type OpenBlasResult = { ok: true; blas: OpenBlas } | { ok: false; reason: string };

/** Byte address of the start of `buffer` (an ArrayBuffer or a view's buffer start, not its offset). */
export function addressOf(buffer: ArrayBufferLike | ArrayBufferView): number {
  const ptr = Deno.UnsafePointer.of(buffer as ArrayBuffer);
  return Number(Deno.UnsafePointer.value(ptr));
}

function envGet(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

function ffiPermitted(): boolean {
  try {
    return Deno.permissions.querySync({ name: "ffi" }).state === "granted";
  } catch {
    return false;
  }
}

/**
 * Opens OpenBLAS. Tries `ML_OPENBLAS_LIB` (a path) first, then {@link OPENBLAS_CANDIDATES}. Sets the
 * thread count to the available cores unless `OPENBLAS_NUM_THREADS`/`OMP_NUM_THREADS` is set (then the
 * library's own choice stands). `OPENBLAS_CORETYPE`, `OPENBLAS_L2_SIZE` and the rest of the environment
 * are read by the library itself and never changed here. Never throws.
 */
export function openOpenBlas(
  options: { candidates?: readonly string[]; threads?: number } = {},
): OpenBlasResult {
  if (!ffiPermitted()) return { ok: false, reason: "FFI not permitted (run with --allow-ffi)" };
  const explicit = envGet("ML_OPENBLAS_LIB");
  const candidates = options.candidates ?? (explicit ? [explicit] : OPENBLAS_CANDIDATES);
  const errors: string[] = [];
  for (const path of candidates) {
    let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
    try {
      lib = Deno.dlopen(path, SYMBOLS);
    } catch (e) {
      errors.push(`${path}: ${(e as Error).message.split("\n")[0]}`);
      continue;
    }
    const pinProblem = pinLibrary(path);
    return { ok: true, blas: wrap(lib, path, options.threads, pinProblem) };
  }
  const first = errors[0] ?? "no candidates";
  return {
    ok: false,
    reason: `OpenBLAS not found (tried ${candidates.length} names/paths; first error: ${first}); ` +
      `install Debian's libopenblas0-pthread or set ML_OPENBLAS_LIB`,
  };
}

/**
 * Deno's FFI accepts a number for `usize` parameters at run time (exact below 2^53, which covers
 * user-space addresses) though its types ask for bigint; numbers avoid a BigInt allocation per call.
 */
type AddressSymbols = {
  cblas_sgemm(
    ...args: [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ]
  ): void;
  cblas_sgemv(
    ...args: [number, number, number, number, number, number, number, number, number, number, number, number]
  ): void;
};

function wrap(
  lib: Deno.DynamicLibrary<typeof SYMBOLS>,
  path: string,
  threads: number | undefined,
  pinProblem: string | null,
): OpenBlas {
  const s = lib.symbols;
  const addr = lib.symbols as unknown as AddressSymbols;
  const cstr = (p: Deno.PointerValue) => (p === null ? "" : Deno.UnsafePointerView.getCString(p));
  const envThreads = envGet("OPENBLAS_NUM_THREADS") ?? envGet("OMP_NUM_THREADS");
  // The library is one per process, shared with other isolates that may be computing right now:
  // resizing its thread pool is only done when the count really changes.
  const setThreads = (n: number) => {
    const wanted = Math.max(1, Math.floor(n));
    if (s.openblas_get_num_threads() !== wanted) s.openblas_set_num_threads(wanted);
  };
  if (threads !== undefined) setThreads(threads);
  else if (envThreads === undefined) setThreads(navigator.hardwareConcurrency || 1);
  return {
    path,
    pinned: pinProblem === null,
    config: cstr(s.openblas_get_config()).trim(),
    coreName: cstr(s.openblas_get_corename()).trim(),
    sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
      addr.cblas_sgemm(
        ROW_MAJOR,
        transA ? TRANS : NO_TRANS,
        transB ? TRANS : NO_TRANS,
        m,
        n,
        k,
        alpha,
        a,
        lda,
        b,
        ldb,
        beta,
        c,
        ldc,
      );
    },
    sgemv(trans, m, n, alpha, a, lda, x, incx, beta, y, incy) {
      addr.cblas_sgemv(ROW_MAJOR, trans ? TRANS : NO_TRANS, m, n, alpha, a, lda, x, incx, beta, y, incy);
    },
    threads: () => s.openblas_get_num_threads(),
    setThreads,
    close: () => lib.close(),
  };
}
