/**
 * Reads owners' data versions (migration 0011) for the page cache: the one statement a cached chat
 * page costs. Reads asked for while another is in flight wait for it and then go out together as one
 * statement (`where id = any($1)`), so concurrent page requests share a few statements instead of one
 * each, and a lone request is sent at once. Every caller's read is sent after the caller asked, so it
 * sees every write committed before it asked, on any instance: batching never serves an older version.
 *
 * With a {@link VersionFeed} (the embedded engine, whose one session this process alone uses) the
 * versions read are also kept, and a kept one is answered without a statement. The feed is the
 * database telling this process, before it reports any commit, which owners' versions that commit
 * changed (migration 0013: `pg_notify` to a session that LISTENs, delivered ahead of the commit's
 * answer): {@link OwnerVersions.forget} drops them, so a write's writer, and anyone it tells, never
 * sees a version from before it. A version is kept only when no owner was forgotten, and the feed did
 * not restart, between sending its read and its answer; while the feed is not listening nothing is
 * kept or answered from memory.
 */

/** Reads the versions of `ids` in one statement: id → version of the owners that have a row. */
export type ReadVersions = (ids: string[]) => Promise<Map<string, string>>;

/** Most owners one statement asks for; more wait for the next statement. */
export const MAX_BATCH = 500;

/** Most versions kept in memory; the oldest kept is dropped first. */
export const MAX_KEPT = 10_000;

/**
 * How the database tells this process of changed versions: `listen` subscribes the connection and
 * resolves once the database confirmed it; the owner of {@link OwnerVersions} calls `forget` for each
 * notification and `restart` when the connection closed (its subscription is gone with it).
 */
export interface VersionFeed {
  listen(): Promise<void>;
}

interface Waiter {
  resolve(version: string | null): void;
  reject(error: unknown): void;
}

/** Batches owner data-version reads; see the module comment. */
export class OwnerVersions {
  readonly #read: ReadVersions;
  readonly #feed: VersionFeed | null;
  #pending = new Map<string, Waiter[]>();
  #inFlight = false;
  /** Versions known current (only with a listening feed). */
  readonly #kept = new Map<string, string | null>();
  /** Counts forgets and restarts: a read's answer is kept only when this did not move meanwhile. */
  #epoch = 0;
  #listening: "no" | "pending" | "yes" = "no";
  /** Counts restarts: a subscription confirmed after a restart may be gone already. */
  #restarts = 0;
  /** Statements sent, versions asked for and versions answered from memory (for tests and the bench). */
  readonly stats = { statements: 0, reads: 0, kept: 0 };

  readonly #maxKept: number;

  /**
   * `read` runs the batched statement; `feed`, when given, lets versions be kept (module comment), at
   * most `maxKept` of them (default {@link MAX_KEPT}).
   */
  constructor(read: ReadVersions, feed: VersionFeed | null = null, maxKept = MAX_KEPT) {
    this.#read = read;
    this.#feed = feed;
    this.#maxKept = maxKept;
  }

  /** The owner's data version, or null when the owner has no row. */
  version(ownerId: string): Promise<string | null> {
    this.stats.reads++;
    if (this.#listening === "yes" && this.#kept.has(ownerId)) {
      this.stats.kept++;
      return Promise.resolve(this.#kept.get(ownerId)!);
    }
    if (this.#feed && this.#listening === "no") this.#listen(this.#feed);
    return new Promise((resolve, reject) => {
      const waiters = this.#pending.get(ownerId);
      if (waiters) waiters.push({ resolve, reject });
      else this.#pending.set(ownerId, [{ resolve, reject }]);
      if (!this.#inFlight) this.#flush();
    });
  }

  /** Drops the kept version of `ownerId` (`*`: of everyone): the database changed it. */
  forget(ownerId: string): void {
    this.#epoch++;
    if (ownerId === "*") this.#kept.clear();
    else this.#kept.delete(ownerId);
  }

  /** The feed's connection closed: nothing kept holds any more until it listens again. */
  restart(): void {
    this.#epoch++;
    this.#restarts++;
    this.#kept.clear();
    this.#listening = "no";
  }

  #listen(feed: VersionFeed): void {
    this.#listening = "pending";
    const restarts = this.#restarts;
    feed.listen().then(
      () => {
        // A restart while subscribing means the subscription may be gone already: ask again later.
        if (this.#listening === "pending" && restarts === this.#restarts) this.#listening = "yes";
      },
      () => {
        if (this.#listening === "pending") this.#listening = "no";
      },
    );
  }

  #keep(versions: Map<string, string>, ids: string[]): void {
    for (const ownerId of ids) {
      this.#kept.delete(ownerId); // re-inserted last: the map's order is the eviction order
      this.#kept.set(ownerId, versions.get(ownerId) ?? null);
    }
    for (const oldest of this.#kept.keys()) {
      if (this.#kept.size <= this.#maxKept) break;
      this.#kept.delete(oldest);
    }
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
    // Kept only when read while listening and nothing was forgotten (or restarted: that too moves the
    // epoch) before the answer.
    const keep = this.#listening === "yes" ? this.#epoch : null;
    (async () => await this.#read(ids))().then(
      (versions) => {
        if (keep === this.#epoch) this.#keep(versions, ids);
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
