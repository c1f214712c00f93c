/**
 * Records that an owner used the app (`owners.last_active_at`), at most once per
 * {@link OwnerActivity.everyMs} per owner and instance, so a busy session costs one small update an
 * hour rather than one per request. The expiry sweep (`lib/db/owner_expiry.ts`) spares owners
 * active within the retention period.
 */
import type postgres from "postgres";
import { touchOwner } from "../db/owner_expiry.ts";

/** Most owners remembered; the oldest entries are forgotten first (they are then touched again). */
const MAX_REMEMBERED = 10_000;

const DONE = Promise.resolve();

/** Throttled activity updates. */
export class OwnerActivity {
  readonly #sql: postgres.Sql;
  readonly #lastTouch = new Map<string, number>();
  readonly #now: () => number;

  /**
   * `everyMs`: least time between two updates of one owner (default one hour). `now`: a wall clock
   * is enough for that, and `Date.now()` costs less than `performance.now()` (a call into Deno) on
   * every request.
   */
  constructor(
    sql: postgres.Sql,
    readonly everyMs = 60 * 60_000,
    now: () => number = () => Date.now(),
  ) {
    this.#sql = sql;
    this.#now = now;
  }

  /**
   * Touches `ownerId` unless done within `everyMs`; never throws (a failed update is retried on
   * the next request). Resolves when the update (if any) is done. Not `async`: nearly every call
   * (one per request) is throttled and answers at once.
   */
  touch(ownerId: string): Promise<void> {
    const now = this.#now();
    const last = this.#lastTouch.get(ownerId);
    if (last !== undefined && now - last < this.everyMs) return DONE;
    this.#lastTouch.delete(ownerId);
    this.#lastTouch.set(ownerId, now);
    if (this.#lastTouch.size > MAX_REMEMBERED) {
      this.#lastTouch.delete(this.#lastTouch.keys().next().value!);
    }
    return touchOwner(this.#sql, ownerId).then(() => {}, () => {
      this.#lastTouch.delete(ownerId);
    });
  }
}
