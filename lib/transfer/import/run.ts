/**
 * Importing one file for one owner: entries are read as a stream, converted by their source
 * (ChatGPT, open-webui or Mini-Claude), and inserted in ONE transaction, so a file that turns out
 * to be bad half-way (corrupted, truncated, foreign) imports nothing. Conversations already
 * imported from the same source id are counted and left alone (re-importing is a no-op). The
 * report says what was imported and what was left out, and why.
 */
import type { Database } from "../../db/mod.ts";
import { folderByName, type ImportItem, insertImported } from "../../db/transfer.ts";
import { EXPORT_FORMAT, EXPORT_VERSION } from "../format.ts";
import { convertChatGpt, isChatGptEntry } from "./chatgpt.ts";
import { convertMiniClaude, parseFolder } from "./mini_claude.ts";
import { convertOpenWebUi, isOpenWebUiEntry } from "./open_webui.ts";
import { type FileShape, readEntries } from "./read.ts";
import { asRecord, type Converted, ImportFileError, type ImportFolder, type Skip } from "./types.ts";

/** Conversations inserted per batch (two statements per batch)... */
const BATCH_CONVERSATIONS = 100;
/** ...or fewer, once they hold this many messages. */
const BATCH_MESSAGES = 4000;

/** Which exporter wrote the file. */
export type ImportSource = "chatgpt" | "open-webui" | "mini-claude";

/** What an import did. */
export interface ImportReport {
  /** Sources seen in the file (an array may mix ChatGPT and open-webui entries). */
  sources: ImportSource[];
  imported: number;
  /** Conversations whose source id this owner had imported before: not imported again. */
  alreadyImported: number;
  /** Messages inserted. */
  messages: number;
  bytes: number;
  /** What was left out, grouped by reason, with up to 5 examples each. */
  skipped: { reason: string; count: number; examples: string[] }[];
}

/** Progress while importing. */
export interface ImportProgress {
  bytes: number;
  conversations: number;
}

/** Options of {@link importFile}. */
export interface ImportOptions {
  onProgress?(progress: ImportProgress): void;
}

/**
 * Imports the file read from `chunks` (whose first bytes announced `shape`) for `ownerId`. Throws
 * {@link ImportFileError} (and imports nothing) for a bad or foreign file.
 */
export async function importFile(
  db: Database,
  ownerId: string,
  chunks: AsyncIterable<Uint8Array>,
  shape: FileShape,
  options: ImportOptions = {},
): Promise<ImportReport> {
  await db.ensureOwner(ownerId);
  return await db.transaction(async (_store, tx) => {
    const report: ImportReport = {
      sources: [],
      imported: 0,
      alreadyImported: 0,
      messages: 0,
      bytes: 0,
      skipped: [],
    };
    const reasons = new Map<string, { count: number; examples: string[] }>();
    const note = (skips: Skip[]) => {
      for (const s of skips) {
        const r = reasons.get(s.reason) ?? { count: 0, examples: [] };
        r.count++;
        if (r.examples.length < 5 && !r.examples.includes(s.where)) r.examples.push(s.where);
        reasons.set(s.reason, r);
      }
    };
    const saw = (source: ImportSource) => {
      if (!report.sources.includes(source)) report.sources.push(source);
    };
    let format: unknown = undefined;
    let version: unknown = undefined;
    const fileFolders = new Map<string, ImportFolder>();
    const folderIds = new Map<string, string>();
    let unrecognized = 0;
    let entries = 0;
    let pending: ImportItem[] = [];
    let pendingMessages = 0;
    const flush = async () => {
      if (pending.length === 0) return;
      const outcome = await insertImported(tx, ownerId, pending);
      report.imported += outcome.imported;
      report.alreadyImported += outcome.duplicates;
      report.messages += outcome.messages;
      pending = [];
      pendingMessages = 0;
    };
    for await (
      const entry of readEntries(chunks, shape, (bytes) => {
        report.bytes = bytes;
        options.onProgress?.({ bytes, conversations: entries });
      })
    ) {
      let converted: Converted | null = null;
      if (entry.kind === "field") {
        if (entry.key === "format") format = entry.value;
        else version = entry.value;
        checkHeader(format, version, false);
        continue;
      }
      if (entry.kind === "folder") {
        checkHeader(format, version, true);
        const folder = parseFolder(entry.value);
        if (folder) fileFolders.set(folder.id, folder);
        else note([{ reason: "invalid folder", where: `folder ${entry.index + 1}` }]);
        continue;
      }
      entries++;
      if (entry.kind === "conversation") {
        checkHeader(format, version, true);
        saw("mini-claude");
        converted = convertMiniClaude(entry.value, entry.index, fileFolders);
      } else {
        const record = asRecord(entry.value);
        if (record && isChatGptEntry(record)) {
          saw("chatgpt");
          converted = convertChatGpt(record, entry.index);
        } else if (record && isOpenWebUiEntry(record)) {
          saw("open-webui");
          converted = convertOpenWebUi(record, entry.index);
        } else {
          unrecognized++;
          note([{ reason: "not a conversation of a known export", where: `entry ${entry.index + 1}` }]);
          continue;
        }
      }
      note(converted.skipped);
      if (converted.kind === "skipped") continue;
      const c = converted.conversation;
      let folderId: string | null = null;
      if (c.folder !== null) {
        folderId = folderIds.get(c.folder.name) ?? await folderByName(tx, ownerId, c.folder);
        folderIds.set(c.folder.name, folderId);
      }
      pending.push({ conversation: c, folderId });
      pendingMessages += c.messages.length;
      if (pending.length >= BATCH_CONVERSATIONS || pendingMessages >= BATCH_MESSAGES) await flush();
    }
    await flush();
    if (shape === "object") checkHeader(format, version, true);
    if (report.sources.length === 0 && (unrecognized > 0 || shape === "array" && entries === 0)) {
      throw new ImportFileError(
        "unsupported_file",
        unrecognized > 0
          ? "No entry of this file is a ChatGPT, open-webui or Mini-Claude conversation; nothing was imported."
          : "The file holds no conversations.",
      );
    }
    report.skipped = [...reasons].map(([reason, r]) => ({ reason, ...r })).sort((a, b) => b.count - a.count);
    options.onProgress?.({ bytes: report.bytes, conversations: entries });
    return report;
  });
}

/** Refuses an object that is not a Mini-Claude export, or one of a newer version. */
function checkHeader(format: unknown, version: unknown, needComplete: boolean): void {
  if (format !== undefined && format !== EXPORT_FORMAT) {
    throw new ImportFileError(
      "unsupported_file",
      `This JSON object is not a Mini-Claude export (format ${
        JSON.stringify(format)
      }); nothing was imported.`,
    );
  }
  if (version !== undefined && version !== EXPORT_VERSION) {
    throw new ImportFileError(
      "unsupported_file",
      `This export has version ${
        JSON.stringify(version)
      }; this app reads version ${EXPORT_VERSION}. Nothing was imported.`,
    );
  }
  if (needComplete && (format === undefined || version === undefined)) {
    throw new ImportFileError(
      "unsupported_file",
      `This JSON object is not a Mini-Claude export (it must start with "format": "${EXPORT_FORMAT}" and "version"); nothing was imported.`,
    );
  }
}
