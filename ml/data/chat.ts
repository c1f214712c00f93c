/**
 * Chat-format records besides Alpaca: ShareGPT (`{ "conversations": [{ "from", "value" }] }`) and OpenAI
 * messages (`{ "messages": [{ "role", "content" }] }`). Each is checked into one normalized form, a list of
 * `{ role: system | user | assistant, content }`, with errors that name the record, its line and the exact
 * field (`conversations.2.from`). {@link checkAnyRecord} tells the three formats apart by their keys.
 */
import { type AlpacaRecord, checkRecord, type RecordIssue } from "./alpaca.ts";

/** Who speaks a turn. */
export type ChatRole = "system" | "user" | "assistant";

/** One turn of a conversation. */
export interface ChatMessage {
  /** The speaker. */
  role: ChatRole;
  /** The text. */
  content: string;
}

/** The record formats a data file may hold. */
export type RecordFormat = "alpaca" | "sharegpt" | "openai";

/** A record in any format, normalized. */
export type DataRecord =
  | { format: "alpaca"; record: AlpacaRecord }
  | { format: "sharegpt" | "openai"; messages: ChatMessage[] };

/** Result of {@link checkAnyRecord}. */
export interface AnyRecordCheck {
  /** The format the record's keys say it is (null for a value that is not an object). */
  format: RecordFormat | null;
  /** The normalized record, or null when it is invalid. */
  record: DataRecord | null;
  /** Problems that make the record invalid. */
  errors: RecordIssue[];
  /** Problems that do not (unknown fields, a trailing user turn). */
  warnings: RecordIssue[];
}

/** ShareGPT speaker names and the role each means (`human`/`gpt` are the original ones). */
const SHAREGPT_ROLES: Record<string, ChatRole> = {
  system: "system",
  human: "user",
  user: "user",
  gpt: "assistant",
  assistant: "assistant",
};
const OPENAI_ROLES: Record<string, ChatRole> = { system: "system", user: "user", assistant: "assistant" };

/** The format a parsed value's keys indicate: `conversations` → ShareGPT, `messages` → OpenAI, else Alpaca. */
export function recordFormatOf(value: unknown): RecordFormat | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  if ("conversations" in value) return "sharegpt";
  if ("messages" in value) return "openai";
  return "alpaca";
}

/**
 * Checks one parsed JSON value in whichever format its keys indicate (see {@link recordFormatOf}). A
 * conversation must have at least one assistant turn; a system turn may only come first; user and
 * assistant turns alternate, starting with the user. Content must be a string (tool calls, images and
 * content-part arrays are refused by name).
 */
export function checkAnyRecord(value: unknown, index: number, line: number): AnyRecordCheck {
  const format = recordFormatOf(value);
  if (format === null || format === "alpaca") {
    const r = checkRecord(value, index, line);
    return {
      format,
      record: r.record ? { format: "alpaca", record: r.record } : null,
      errors: r.errors,
      warnings: r.warnings,
    };
  }
  const obj = value as Record<string, unknown>;
  const listKey = format === "sharegpt" ? "conversations" : "messages";
  const [roleKey, textKey] = format === "sharegpt" ? ["from", "value"] : ["role", "content"];
  const roles = format === "sharegpt" ? SHAREGPT_ROLES : OPENAI_ROLES;
  const errors: RecordIssue[] = [];
  const warnings: RecordIssue[] = [];
  const issue = (list: RecordIssue[], field: string, message: string) =>
    list.push({ index, line, field, message });
  for (const key of Object.keys(obj)) {
    if (key !== listKey && !(format === "openai" && key === "tools")) {
      issue(warnings, key, "unknown field (ignored)");
    }
  }
  if (format === "openai" && "tools" in obj) issue(warnings, "tools", "tool definitions are ignored");
  const list = obj[listKey];
  if (!Array.isArray(list)) {
    issue(errors, listKey, `expected an array of turns, got ${kindOf(list)}`);
    return { format, record: null, errors, warnings };
  }
  if (list.length === 0) issue(errors, listKey, "empty conversation");
  const messages: ChatMessage[] = [];
  list.forEach((turn, i) => {
    const at = `${listKey}.${i}`;
    if (typeof turn !== "object" || turn === null || Array.isArray(turn)) {
      issue(errors, at, `expected an object, got ${kindOf(turn)}`);
      return;
    }
    const t = turn as Record<string, unknown>;
    const rawRole = t[roleKey];
    const role = typeof rawRole === "string" ? roles[rawRole] : undefined;
    if (typeof rawRole !== "string") issue(errors, `${at}.${roleKey}`, `missing (expected a string)`);
    else if (!role) {
      issue(
        errors,
        `${at}.${roleKey}`,
        `unknown speaker "${rawRole}" (expected ${Object.keys(roles).join(", ")})`,
      );
    }
    const content = t[textKey];
    if (typeof content !== "string") {
      const why = Array.isArray(content)
        ? "content-part arrays (images, files) are not supported; expected a string"
        : content === undefined
        ? "missing (expected a string)"
        : `expected a string, got ${kindOf(content)}`;
      issue(errors, `${at}.${textKey}`, why);
    }
    for (const key of Object.keys(t)) {
      if (key === roleKey || key === textKey) continue;
      if (key === "tool_calls" || key === "function_call") {
        issue(errors, `${at}.${key}`, "tool calls are not supported");
      } else if (key !== "name" && key !== "weight") {
        issue(warnings, `${at}.${key}`, "unknown field (ignored)");
      }
    }
    if (role && typeof content === "string") messages.push({ role, content });
  });
  if (errors.length === 0) {
    orderProblems(messages, listKey, roleKey, (f, m, w) => issue(w ? warnings : errors, f, m));
  }
  return {
    format,
    record: errors.length === 0 ? { format, messages } : null,
    errors,
    warnings,
  };
}

/** Checks turn order: one optional leading system turn, then user/assistant alternating, an assistant reply. */
function orderProblems(
  messages: readonly ChatMessage[],
  listKey: string,
  roleKey: string,
  report: (field: string, message: string, warning?: boolean) => void,
): void {
  let expected: ChatRole = "user";
  messages.forEach((m, i) => {
    const field = `${listKey}.${i}.${roleKey}`;
    if (m.role === "system") {
      if (i !== 0) report(field, "a system turn may only come first");
      return;
    }
    if (m.role !== expected) {
      report(
        field,
        `expected a ${expected} turn here (user and assistant turns alternate, starting with user)`,
      );
    }
    expected = m.role === "user" ? "assistant" : "user";
  });
  if (!messages.some((m) => m.role === "assistant")) {
    report(listKey, "no assistant turn: nothing to learn from");
  } else if (messages.at(-1)?.role === "user") {
    report(`${listKey}.${messages.length - 1}`, "trailing user turn without a reply (not trained on)", true);
  }
}

/**
 * The view of a conversation the quality checks use, as an Alpaca record: the user turns (joined by blank
 * lines) as `instruction`, the system prompt as `input`, the assistant turns as `output`.
 */
export function qualityView(messages: readonly ChatMessage[]): AlpacaRecord {
  const text = (role: ChatRole) => messages.filter((m) => m.role === role).map((m) => m.content).join("\n\n");
  return { instruction: text("user"), input: text("system"), output: text("assistant") };
}

/** The record in its own format again (the cleaned copy keeps each record's format). */
export function serializeRecord(record: DataRecord): unknown {
  if (record.format === "alpaca") return record.record;
  if (record.format === "openai") {
    return { messages: record.messages.map((m) => ({ role: m.role, content: m.content })) };
  }
  const from = { system: "system", user: "human", assistant: "gpt" } as const;
  return { conversations: record.messages.map((m) => ({ from: from[m.role], value: m.content })) };
}

function kindOf(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return `a ${typeof v}`;
}
