/**
 * The one structured logger of `lib/`: JSON lines `{ time, level, msg, ...fields }`, errors and warnings
 * on stderr, the rest on stdout, and nothing below the level set from `LOG_LEVEL` (`setLogLevel`, called
 * when the services are created). One level per isolate: a process runs one app.
 */

/** Levels, most verbose first; `silent` logs nothing. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Where lines go; replaceable with {@link setLogSink} (tests). */
export type LogSink = (line: string, level: Exclude<LogLevel, "silent">) => void;

const defaultSink: LogSink = (line, level) => {
  if (level === "error" || level === "warn") console.error(line);
  else console.log(line);
};

let threshold = RANK.info;
let sink: LogSink = defaultSink;

/** Sets the lowest level that is written. */
export function setLogLevel(level: LogLevel): void {
  threshold = RANK[level];
}

/** Sends lines to `next` instead of the console; returns a function that restores the previous sink. */
export function setLogSink(next: LogSink): () => void {
  const previous = sink;
  sink = next;
  return () => {
    sink = previous;
  };
}

/** Whether a line at `level` would be written now. */
export function logEnabled(level: Exclude<LogLevel, "silent">): boolean {
  return RANK[level] >= threshold;
}

function write(level: Exclude<LogLevel, "silent">, msg: string, fields: Record<string, unknown> = {}): void {
  if (!logEnabled(level)) return;
  sink(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }), level);
}

/** The logger. Fields are plain JSON data; an `Error` is best passed as `String(error)` or its message. */
export const log = {
  debug: (msg: string, fields?: Record<string, unknown>) => write("debug", msg, fields),
  info: (msg: string, fields?: Record<string, unknown>) => write("info", msg, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => write("warn", msg, fields),
  error: (msg: string, fields?: Record<string, unknown>) => write("error", msg, fields),
};
