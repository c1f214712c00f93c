/**
 * Browser sessions: a random session id in a signed, HttpOnly, SameSite=Lax cookie. The id owns
 * the conversations created in that browser. Secrets rotate without logging anyone out: cookies
 * are signed with the newest secret and verified against all, and a cookie signed with an older
 * secret is re-issued with the newest.
 */

/** Cookie name. */
export const SESSION_COOKIE = "mc_session";
const ONE_YEAR_S = 365 * 24 * 3600;
const encoder = new TextEncoder();

/** Verified cookie values remembered per signer (a returning browser skips the HMAC). */
const VERIFIED_CACHE_SIZE = 10_000;

/**
 * A valid session cookie's owner id, and whether an older secret signed it. Frozen: the signer
 * remembers it and hands the same object to every request with that cookie.
 */
export type VerifiedSession = Readonly<{ id: string; stale: boolean }>;

/**
 * Signs and verifies session cookies with one or more secrets (newest first). Verification results of
 * valid cookies are remembered (bounded, least recently used evicted): the answer depends only on the
 * value and this signer's fixed keys, and the HMAC was 3 % of a `GET /`'s CPU (docs/performance.md).
 * Invalid values are never cached, so garbage cannot push valid sessions out.
 */
export class SessionSigner {
  readonly #verified = new Map<string, VerifiedSession>();

  private constructor(private readonly keys: CryptoKey[]) {}

  /** Imports HMAC-SHA256 keys for `secrets` (newest first, at least one). */
  static async create(secrets: string[]): Promise<SessionSigner> {
    if (secrets.length === 0) throw new Error("at least one session secret is required");
    const keys = await Promise.all(
      secrets.map((s) =>
        crypto.subtle.importKey("raw", encoder.encode(s), { name: "HMAC", hash: "SHA-256" }, false, [
          "sign",
          "verify",
        ])
      ),
    );
    return new SessionSigner(keys);
  }

  /** A new random session id. */
  static newId(): string {
    return base64url(crypto.getRandomValues(new Uint8Array(18)));
  }

  /** `id.signature` with the newest secret. */
  async sign(id: string): Promise<string> {
    const sig = await crypto.subtle.sign("HMAC", this.keys[0], encoder.encode(id));
    return `${id}.${base64url(new Uint8Array(sig))}`;
  }

  /** The id if `value` is validly signed, and whether it was signed with an older secret. */
  async verify(value: string): Promise<VerifiedSession | null> {
    const known = this.known(value);
    if (known !== undefined) return known;
    const hmac = await this.#verifyHmac(value);
    if (hmac === null) return null;
    const result: VerifiedSession = Object.freeze(hmac);
    if (this.#verified.size >= VERIFIED_CACHE_SIZE) {
      this.#verified.delete(this.#verified.keys().next().value!);
    }
    this.#verified.set(value, result);
    return result;
  }

  /**
   * The answer of {@link verify} without waiting, when `value` was verified before and is still
   * remembered; undefined otherwise (then ask {@link verify}). Every returning browser's request
   * asks this, so it spares them a promise.
   */
  known(value: string): VerifiedSession | undefined {
    const cached = this.#verified.get(value);
    if (cached === undefined) return undefined;
    this.#verified.delete(value); // move to the most recently used end
    this.#verified.set(value, cached);
    return cached;
  }

  /** Number of remembered valid cookie values (for tests). */
  get cachedCount(): number {
    return this.#verified.size;
  }

  async #verifyHmac(value: string): Promise<{ id: string; stale: boolean } | null> {
    const dot = value.lastIndexOf(".");
    if (dot <= 0) return null;
    const id = value.slice(0, dot);
    if (!/^[A-Za-z0-9_-]{16,64}$/.test(id)) return null;
    let sig: Uint8Array;
    try {
      sig = fromBase64url(value.slice(dot + 1));
    } catch {
      return null;
    }
    for (let i = 0; i < this.keys.length; i++) {
      const ok = await crypto.subtle.verify(
        "HMAC",
        this.keys[i],
        sig as Uint8Array<ArrayBuffer>,
        encoder.encode(id),
      );
      if (ok) return { id, stale: i > 0 };
    }
    return null;
  }
}

/** Reads one cookie from a Cookie header. */
export function readCookie(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** The Set-Cookie value for a signed session. `secure` when served over HTTPS. */
export function sessionCookie(signed: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${signed}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${ONE_YEAR_S}${
    secure ? "; Secure" : ""
  }`;
}

/**
 * Returns the session secrets: the configured ones, or one generated once and kept in
 * `${dataDir}/session_secret` (mode 0600) so sessions survive restarts.
 */
export async function loadSessionSecrets(
  configured: string[] | undefined,
  dataDir: string,
): Promise<string[]> {
  if (configured && configured.length > 0) return configured;
  const path = `${dataDir}/session_secret`;
  try {
    const existing = (await Deno.readTextFile(path)).trim();
    if (existing.length >= 32) return [existing];
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  await Deno.mkdir(dataDir, { recursive: true });
  const secret = base64url(crypto.getRandomValues(new Uint8Array(32)));
  await Deno.writeTextFile(path, secret + "\n", { mode: 0o600 });
  return [secret];
}

function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - b64.length % 4) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}
