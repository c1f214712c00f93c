/**
 * Daily token budgets per owner (anonymous session or user): every reply's tokens — prompt plus
 * completion as the provider reported them, or {@link replyTokens}'s estimate when it reported
 * none — are charged to the owner's UTC day when the reply ends. A reply is refused before it
 * starts (429, `Retry-After` = seconds to the next UTC midnight) once the day's total has reached
 * the owner's limit: `owners.daily_token_limit` when set (admin page), else `DAILY_TOKEN_BUDGET`.
 *
 * The check is a read and the charge comes after the reply, so replies that start together while
 * under the limit can overshoot it by at most their own size (the stream cap per session bounds
 * how many); the next reply is then refused.
 */
import type postgres from "postgres";
import { toDatabaseError } from "../db/errors.ts";
import type { Message } from "../db/mod.ts";
import type { Queryable } from "../db/sql.ts";
import { chargeTokens, dailyUsage } from "../db/token_usage.ts";
import { estimateTokens } from "../chat/history.ts";
import { HttpError } from "../http_error.ts";

/** An owner's budget today, as `GET /api/usage` returns it. */
export interface BudgetStatus {
  /** Tokens charged today (UTC). */
  usedTokens: number;
  /** Today's limit; null = unlimited. */
  limitTokens: number | null;
  /** When the count starts again from zero: the next UTC midnight, ISO-8601. */
  resetsAt: string;
}

/** Options of {@link TokenBudget}. */
export interface TokenBudgetOptions {
  /** Default daily limit per owner; 0 = unlimited. */
  dailyTokens: number;
  /** Runs before each query (pending migrations after an outage). */
  ready?: () => Promise<unknown>;
  /** The clock (tests); default `Date.now`. */
  now?: () => number;
}

/** The UTC day of `ms` as `YYYY-MM-DD`. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Milliseconds since the epoch of the UTC midnight that ends the day of `ms`. */
export function nextUtcMidnight(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}

/**
 * Tokens one reply costs: the provider's prompt and completion counts where reported; a missing
 * count is estimated ({@link estimateTokens}: ~4 characters per token) from the prompt that was
 * sent (`promptEstimate`, the trimmed history's estimate) and the reply's stored text. A reply
 * that failed before any text without a usage report costs nothing.
 */
export function replyTokens(
  message: Pick<Message, "content" | "usage" | "status">,
  promptEstimate: number,
): number {
  // A request that failed before any text and reported nothing was not billed.
  if (!message.usage && message.status === "error" && message.content === "") return 0;
  const prompt = message.usage?.promptTokens ?? promptEstimate;
  const completion = message.usage?.completionTokens ?? estimateTokens(message.content);
  return Math.max(0, Math.round(prompt)) + Math.max(0, Math.round(completion));
}

/** Budgets kept in the database (tables `owners`, `token_usage`), shared by all instances. */
export class TokenBudget {
  readonly #sql: postgres.Sql;
  readonly #dailyTokens: number;
  readonly #ready: () => Promise<unknown>;
  readonly #now: () => number;

  constructor(sql: postgres.Sql, options: TokenBudgetOptions) {
    this.#sql = sql;
    this.#dailyTokens = options.dailyTokens;
    this.#ready = options.ready ?? (() => Promise.resolve());
    this.#now = options.now ?? Date.now;
  }

  /**
   * The owner's use and limit today; `sql`: run the read there (a caller's transaction, to pipeline
   * it with its own statements). Database failures throw `database_unavailable`.
   */
  async status(ownerId: string, sql?: Queryable): Promise<BudgetStatus> {
    const now = this.#now();
    let usage;
    try {
      if (!sql) await this.#ready();
      usage = await dailyUsage(sql ?? this.#sql, ownerId, utcDay(now));
    } catch (error) {
      throw toDatabaseError(error);
    }
    const limit = usage.ownerLimit ?? this.#dailyTokens;
    return {
      usedTokens: usage.tokens,
      limitTokens: limit > 0 || usage.ownerLimit !== null ? limit : null,
      resetsAt: new Date(nextUtcMidnight(now)).toISOString(),
    };
  }

  /**
   * Throws 429 `token_budget_exhausted` (with `Retry-After`) when the owner has no tokens left today;
   * `sql` as in {@link status}.
   */
  async check(ownerId: string, sql?: Queryable): Promise<BudgetStatus> {
    const status = await this.status(ownerId, sql);
    if (status.limitTokens !== null && status.usedTokens >= status.limitTokens) {
      const seconds = Math.max(1, Math.ceil((Date.parse(status.resetsAt) - this.#now()) / 1000));
      throw new HttpError(
        429,
        "token_budget_exhausted",
        `You have used ${formatCount(status.usedTokens)} of ${
          formatCount(status.limitTokens)
        } tokens today. The budget resets at 00:00 UTC (in ${formatDuration(seconds)}).`,
        { "retry-after": String(seconds) },
      );
    }
    return status;
  }

  /** Adds `tokens` to the owner's day; returns the new total (null for an unknown owner). */
  async charge(ownerId: string, tokens: number): Promise<number | null> {
    try {
      await this.#ready();
      return await chargeTokens(this.#sql, ownerId, utcDay(this.#now()), tokens);
    } catch (error) {
      throw toDatabaseError(error);
    }
  }
}

/** 12340 -> "12,340". */
export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

function formatDuration(seconds: number): string {
  const minutes = Math.ceil(seconds / 60);
  const h = Math.floor(minutes / 60);
  return h > 0 ? `${h} h ${minutes % 60} min` : `${minutes} min`;
}
