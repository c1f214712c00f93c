/**
 * Reads owners' data versions (migration 0011) for the page cache: the one statement a cached chat
 * page costs. Reads asked for while another is in flight wait for it and then go out together as one
 * statement (`where id = any($1)`), so concurrent page requests share a few statements instead of one
 * each, and a lone request is sent at once. Every caller's read is sent after the caller asked, so it
 * sees every write committed before it asked, on any instance: batching never serves an older version.
 */

/** Reads the versions of `ids` in one statement: id → version of the owners that have a row. */
export type ReadVersions = (ids: string[]) => Promise<Map<string, string>>;

/** Most owners one statement asks for; more wait for the next statement. */
export const MAX_BATCH = 500;

interface Waiter {
  resolve(version: string | null): void;
  reject(error: unknown): void;
}

/** Batches owner data-version reads; see the module comment. */
export class OwnerVersions {
  readonly #read: ReadVersions;
  #pending = new Map<string, Waiter[]>();
  #inFlight = false;
  /** Statements sent and versions asked for (for tests and the bench). */
  readonly stats = { statements: 0, reads: 0 };

  /** `read` runs the batched statement. */
  constructor(read: ReadVersions) {
    this.#read = read;
  }

  /** The owner's data version, or null when the owner has no row. */
  version(ownerId: string): Promise<string | null> {
    this.stats.reads++;
    return new Promise((resolve, reject) => {
      const waiters = this.#pending.get(ownerId);
      if (waiters) waiters.push({ resolve, reject });
      else this.#pending.set(ownerId, [{ resolve, reject }]);
      if (!this.#inFlight) this.#flush();
    });
  }

  #flush(): void {
    const batch = new Map<string, Waiter[]>();
    for (const [ownerId, waiters] of this.#pending) {
      if (batch.size === MAX_BATCH) break;
      batch.set(ownerId, waiters);
    }
    for (const ownerId of batch.keys()) this.#pending.delete(ownerId);
    this.#inFlight = true;
    this.stats.statements++;
    const ids = [...batch.keys()];
    (async () => await this.#read(ids))().then(
      (versions) => {
        for (const [ownerId, waiters] of batch) {
          const version = versions.get(ownerId) ?? null;
          for (const waiter of waiters) waiter.resolve(version);
        }
      },
      (error) => {
        for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(error);
      },
    ).finally(() => {
      this.#inFlight = false;
      if (this.#pending.size > 0) this.#flush();
    });
  }
}
