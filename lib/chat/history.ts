/**
 * Fitting a conversation into a model's context budget: clean the turns up (drop empty ones, merge
 * consecutive turns of the same role, start with a user turn), then keep the system prompt and the
 * newest whole turns that fit, always keeping the latest user message. Pure functions.
 */
import { ChatError } from "./errors.ts";
import type { ChatRequest, ChatTurn } from "./provider.ts";

/** Counts the tokens of a text. */
export type TokenCounter = (text: string) => number;

/** Fixed cost charged per turn for role markers and separators. */
export const TURN_OVERHEAD_TOKENS = 4;

/** Rough token count: about 4 characters per token (UTF-16 code units), rounded up. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * Makes a history the model accepts: drops turns whose content is blank (and that carry no
 * attachments), merges consecutive turns of the same role (texts joined by a blank line, attachments
 * kept in order), and drops assistant turns before the first user turn.
 */
export function normalizeTurns(history: readonly ChatTurn[]): ChatTurn[] {
  const out: ChatTurn[] = [];
  for (const turn of history) {
    const files = turn.attachments ?? [];
    if (turn.content.trim() === "" && files.length === 0) continue;
    if (out.length === 0 && turn.role === "assistant") continue;
    const last = out[out.length - 1];
    if (last && last.role === turn.role) {
      const content = [last.content, turn.content].filter((c) => c.trim() !== "").join("\n\n");
      const attachments = [...(last.attachments ?? []), ...files];
      out[out.length - 1] = attachments.length
        ? { role: turn.role, content, attachments }
        : { role: turn.role, content };
    } else {
      out.push(
        files.length ? { role: turn.role, content: turn.content, attachments: files } : {
          role: turn.role,
          content: turn.content,
        },
      );
    }
  }
  return out;
}

/** Options of {@link trimHistory}. */
export interface TrimOptions {
  /** Tokens the system prompt and the kept turns may use together. */
  budgetTokens: number;
  /** Token counter; {@link estimateTokens} when omitted. */
  countTokens?: TokenCounter;
}

/** What {@link trimHistory} kept. */
export interface TrimResult {
  /** Kept turns, oldest first, starting with a user turn and ending with the latest user message. */
  turns: ChatTurn[];
  /** Turns of the normalized history that were left out. */
  droppedTurns: number;
  /** Tokens of the system prompt plus the kept turns, by the counter used. */
  tokens: number;
  /** True when even the system prompt plus the latest user message exceed the budget (both are kept anyway). */
  overBudget: boolean;
}

/**
 * Keeps the newest turns that fit in `budgetTokens` together with the system prompt. The latest
 * user message (and any turn after it) is always kept; older turns are added newest first, in
 * user/assistant exchanges so the kept window never starts with an assistant turn. Throws a
 * `RangeError` when the history has no user message.
 */
export function trimHistory(
  systemPrompt: string | undefined,
  history: readonly ChatTurn[],
  options: TrimOptions,
): TrimResult {
  const count = options.countTokens ?? estimateTokens;
  const turns = normalizeTurns(history);
  const lastUser = turns.findLastIndex((t) => t.role === "user");
  if (lastUser === -1) throw new RangeError("history has no user message to reply to");

  const cost = (t: ChatTurn) => count(t.content) + TURN_OVERHEAD_TOKENS;
  let tokens = systemPrompt ? count(systemPrompt) : 0;
  for (let i = lastUser; i < turns.length; i++) tokens += cost(turns[i]);
  const overBudget = tokens > options.budgetTokens;

  let start = lastUser;
  // Walk back one exchange at a time: an exchange starts at a user turn.
  while (!overBudget && start > 0) {
    let exchangeStart = start - 1;
    while (exchangeStart > 0 && turns[exchangeStart].role !== "user") exchangeStart--;
    let exchangeCost = 0;
    for (let i = exchangeStart; i < start; i++) exchangeCost += cost(turns[i]);
    if (tokens + exchangeCost > options.budgetTokens) break;
    tokens += exchangeCost;
    start = exchangeStart;
  }
  return { turns: turns.slice(start), droppedTurns: start, tokens, overBudget };
}

/**
 * The turns a hosted provider sends for `request`: {@link trimHistory} within `options`, with a
 * history that has no user message refused as a `bad_request` ChatError.
 */
export function turnsToSend(
  request: Pick<ChatRequest, "systemPrompt" | "history">,
  options: TrimOptions,
): ChatTurn[] {
  try {
    return trimHistory(request.systemPrompt, request.history, options).turns;
  } catch (e) {
    throw new ChatError("bad_request", "There is no user message to reply to.", { cause: e });
  }
}
