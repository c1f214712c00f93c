/**
 * Keeps a shared library loaded until the process exits (`RTLD_NODELETE`).
 *
 * Deno closes every `Deno.dlopen` handle when the isolate that opened it ends: a Worker terminated,
 * a `deno test --parallel` module finished. OpenBLAS (pthread build) is one instance per process,
 * shared by all isolates; when the last handle closes, its destructor stops the thread pool and
 * frees its buffers, possibly while another thread is still inside a call, and a later open starts
 * it again. That crashed or hung the process ("double free or corruption", SIGSEGV) in a loop of
 * Workers computing and being terminated (docs/hardening.md, "The exit-134 flake"). Opening the
 * library once more through libc's `dlopen` with `RTLD_NODELETE` marks it never to be unloaded, so
 * its destructor runs at most once, at process exit.
 */

/** `RTLD_NOW | RTLD_NODELETE` and the C library per platform; null where pinning is not needed/known. */
function platformLoader(): { libc: string; flags: number } | null {
  if (Deno.build.os === "linux") return { libc: "libc.so.6", flags: 0x2 | 0x1000 };
  if (Deno.build.os === "darwin") return { libc: "/usr/lib/libSystem.B.dylib", flags: 0x2 | 0x80 };
  return null;
}

/**
 * Pins the library at `path` (already opened with `Deno.dlopen`, so the name resolves to the same
 * object). Returns null on success, else why it could not be pinned (the library still works; only
 * the teardown protection is missing). Never throws.
 */
export function pinLibrary(path: string): string | null {
  const loader = platformLoader();
  if (loader === null) return `pinning not supported on ${Deno.build.os}`;
  let libc: Deno.DynamicLibrary<{ dlopen: { parameters: ["buffer", "i32"]; result: "pointer" } }>;
  try {
    libc = Deno.dlopen(loader.libc, { dlopen: { parameters: ["buffer", "i32"], result: "pointer" } });
  } catch (e) {
    return `cannot open ${loader.libc}: ${(e as Error).message.split("\n")[0]}`;
  }
  try {
    // This handle is deliberately never closed: the extra reference is the point.
    const handle = libc.symbols.dlopen(new TextEncoder().encode(`${path}\0`), loader.flags);
    return handle === null ? `dlopen(${path}, RTLD_NODELETE) returned NULL` : null;
  } finally {
    libc.close();
  }
}
