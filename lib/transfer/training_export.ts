/**
 * The owner's own conversations as a fine-tuning file (JSON Lines) in one of the formats the ML toolkit
 * trains on: ShareGPT (`conversations` of `from`/`value`), OpenAI messages (`messages` of `role`/`content`)
 * or Alpaca (`instruction`/`input`/`output`, single turn). Each conversation contributes the path from its
 * root to its current leaf (the branch shown in the chat), with the system prompt first in the chat formats.
 * Only complete assistant replies count: the path is cut before the first user turn whose reply is not
 * complete (stopped, failed or streaming), and trailing unanswered user turns are dropped. Alpaca keeps the
 * first exchange of each conversation (later turns depend on context an Alpaca record cannot carry).
 * Every record is checked with the toolkit's validator (`checkAnyRecord`) before it is written, so the file
 * passes `deno task validate-data`; a conversation with nothing complete to learn from is skipped.
 */
import type postgres from "postgres";
import { z } from "zod";
import { checkAnyRecord } from "../../ml/data/chat.ts";
import type { Store } from "../db/store.ts";
import type { PathMessage } from "../db/tree.ts";

/** File formats of the export. */
export const TRAINING_FORMATS = ["sharegpt", "openai", "alpaca"] as const;
/** One of {@link TRAINING_FORMATS}. */
export type TrainingFormat = typeof TRAINING_FORMATS[number];

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, {
  message: "expected conversation ids (UUIDs)",
});

/** Query of `GET /api/export/training`: `format`, and `ids` (comma-separated, at most 500; omitted: all). */
export const TrainingExportQuery = z.strictObject({
  format: z.enum(TRAINING_FORMATS, { message: "expected sharegpt, openai or alpaca" }),
  ids: z.preprocess(
    (v) => (typeof v === "string" ? v.split(",").map((s) => s.trim()).filter(Boolean) : v),
    z.array(uuid).min(1, { message: "expected at least one conversation id" }).max(500, {
      message: "at most 500 ids; omit ids to export every conversation",
    }),
  ).optional(),
});

/** A parsed {@link TrainingExportQuery}. */
export type TrainingExportOptions = z.infer<typeof TrainingExportQuery>;

/** A turn of an exported conversation. */
export interface TrainingTurn {
  role: "system" | "user" | "assistant";
  content: string;
}

/**
 * The turns to learn from on a path (root → leaf): user/assistant exchanges up to the first one whose
 * reply is missing, empty or not complete, after the system prompt (when not blank).
 */
export function trainingTurns(systemPrompt: string, path: readonly PathMessage[]): TrainingTurn[] {
  const turns: TrainingTurn[] = [];
  for (let i = 0; i + 1 < path.length; i += 2) {
    const [user, reply] = [path[i], path[i + 1]];
    if (user.role !== "user" || reply.role !== "assistant") break;
    if (reply.status !== "complete" || reply.content.trim() === "" || user.content.trim() === "") break;
    turns.push({ role: "user", content: user.content }, { role: "assistant", content: reply.content });
  }
  if (turns.length === 0) return [];
  return systemPrompt.trim() ? [{ role: "system", content: systemPrompt }, ...turns] : turns;
}

const SHAREGPT_FROM = { system: "system", user: "human", assistant: "gpt" } as const;

/** The record of `turns` (non-empty, from {@link trainingTurns}) in `format`. */
export function trainingRecord(format: TrainingFormat, turns: readonly TrainingTurn[]): unknown {
  if (format === "sharegpt") {
    return { conversations: turns.map((t) => ({ from: SHAREGPT_FROM[t.role], value: t.content })) };
  }
  if (format === "openai") return { messages: turns.map((t) => ({ role: t.role, content: t.content })) };
  const first = turns.findIndex((t) => t.role === "user");
  return { instruction: turns[first].content, input: "", output: turns[first + 1].content };
}

/** Counts of an export, known when its stream has ended. */
export interface TrainingExportStats {
  conversations: number;
  records: number;
  /** Conversations with no complete exchange, or whose record the validator refused. */
  skipped: number;
}

/** The owner's conversation ids in creation order, read in keyset pages of `pageSize`. */
export async function* allConversationIds(
  sql: postgres.Sql,
  ownerId: string,
  pageSize = 100,
): AsyncGenerator<string> {
  let after: { createdAt: Date; id: string } | null = null;
  while (true) {
    const rows: { id: string; created_at: Date }[] = after === null
      ? await sql`select id, created_at from conversations where owner_id = ${ownerId}
          order by created_at, id limit ${pageSize}`
      : await sql`select id, created_at from conversations where owner_id = ${ownerId}
          and (created_at, id) > (${after.createdAt}, ${after.id}) order by created_at, id limit ${pageSize}`;
    for (const r of rows) yield r.id;
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1];
    after = { createdAt: last.created_at, id: last.id };
  }
}

/**
 * Which of `ids` are not the owner's conversations (checked before streaming, so a wrong id is a 404
 * and not a half-written file).
 */
export async function foreignIds(
  sql: postgres.Sql,
  ownerId: string,
  ids: readonly string[],
): Promise<string[]> {
  const rows: { id: string }[] = await sql`
    select id from conversations where owner_id = ${ownerId} and id = any(${[...ids]}::uuid[])`;
  const mine = new Set(rows.map((r) => r.id));
  return ids.filter((id) => !mine.has(id));
}

/**
 * The export as JSON Lines, one record per line, produced conversation by conversation as the stream
 * is read. `onDone` gets the counts.
 */
export function trainingExportStream(
  db: Store & { sql: postgres.Sql },
  ownerId: string,
  options: TrainingExportOptions,
  onDone?: (stats: TrainingExportStats) => void,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const ids = options.ids
    ? (async function* () {
      yield* options.ids!;
    })()
    : allConversationIds(db.sql, ownerId);
  const stats: TrainingExportStats = { conversations: 0, records: 0, skipped: 0 };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      while (true) {
        const next = await ids.next();
        if (next.done) {
          onDone?.(stats);
          controller.close();
          return;
        }
        stats.conversations++;
        const conversation = await db.getConversation(ownerId, next.value);
        const path = conversation ? await db.currentPath(ownerId, next.value) : null;
        const turns = conversation && path ? trainingTurns(conversation.systemPrompt, path) : [];
        const record = turns.length ? trainingRecord(options.format, turns) : null;
        if (record === null || checkAnyRecord(record, stats.records, stats.records + 1).errors.length > 0) {
          stats.skipped++;
          continue;
        }
        stats.records++;
        controller.enqueue(encoder.encode(JSON.stringify(record) + "\n"));
        return;
      }
    },
    async cancel() {
      await ids.return(undefined);
    },
  });
}
