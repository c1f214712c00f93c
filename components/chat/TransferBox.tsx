/**
 * Moving history in and out, at the bottom of the sidebar: "Export all" downloads the streamed JSON
 * export; "Import…" uploads a ChatGPT, open-webui or Mini-Claude export and shows progress (upload,
 * then the server's NDJSON progress lines) and the report of what was imported and left out. "Training
 * data" opens the fine-tuning export (`./TrainingExport.tsx`).
 */
import type { VNode } from "preact";
import { useRef, useState } from "preact/hooks";
import { TrainingExport } from "./TrainingExport.tsx";

/** The server's import report (`POST /api/import`). */
export interface ImportReport {
  sources: string[];
  imported: number;
  alreadyImported: number;
  messages: number;
  skipped: { reason: string; count: number; examples: string[] }[];
}

type Line =
  | { type: "progress"; bytes: number; totalBytes: number; conversations: number }
  | { type: "done"; report: ImportReport }
  | { type: "error"; error: { code: string; message: string } };

type State =
  | { kind: "idle" }
  | { kind: "uploading"; fraction: number }
  | { kind: "importing"; fraction: number; conversations: number }
  | { kind: "done"; report: ImportReport }
  | { kind: "error"; message: string };

/** Props of {@link TransferBox}. */
export interface TransferBoxProps {
  ready: boolean;
  /** Called after a successful import (reload the list and folders). */
  onImported(): void;
}

/** Uploads `file`; `onLine` gets each NDJSON line as it arrives. Resolves with the HTTP status. */
function send(
  file: File,
  onUpload: (fraction: number) => void,
  onLine: (line: Line) => void,
): Promise<number> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    let seen = 0;
    const drain = () => {
      if (xhr.status !== 200) return;
      const text = xhr.responseText;
      let end: number;
      while ((end = text.indexOf("\n", seen)) !== -1) {
        const line = text.slice(seen, end).trim();
        seen = end + 1;
        if (line) onLine(JSON.parse(line) as Line);
      }
    };
    xhr.upload.onprogress = (e) => e.lengthComputable && onUpload(e.loaded / e.total);
    xhr.onprogress = drain;
    xhr.onload = () => {
      drain();
      if (xhr.status !== 200) {
        try {
          const body = JSON.parse(xhr.responseText) as { error?: { message?: string } };
          onLine({
            type: "error",
            error: { code: "http", message: body.error?.message ?? `HTTP ${xhr.status}` },
          });
        } catch {
          onLine({ type: "error", error: { code: "http", message: `The server answered ${xhr.status}.` } });
        }
      }
      resolve(xhr.status);
    };
    xhr.onerror = () => {
      onLine({
        type: "error",
        error: { code: "network", message: "The upload failed: the server could not be reached." },
      });
      resolve(0);
    };
    xhr.open("POST", "/api/import");
    xhr.setRequestHeader("content-type", "application/json");
    xhr.send(file);
  });
}

/** Renders the export link, the import picker and the import's progress and report. */
export function TransferBox({ ready, onImported }: TransferBoxProps): VNode {
  const [state, setState] = useState<State>({ kind: "idle" });
  const input = useRef<HTMLInputElement>(null);
  const busy = state.kind === "uploading" || state.kind === "importing";
  const start = async (file: File) => {
    setState({ kind: "uploading", fraction: 0 });
    let ok = false;
    await send(file, (fraction) => setState({ kind: "uploading", fraction }), (line) => {
      if (line.type === "progress") {
        setState({
          kind: "importing",
          fraction: line.totalBytes > 0 ? line.bytes / line.totalBytes : 1,
          conversations: line.conversations,
        });
      } else if (line.type === "done") {
        ok = true;
        setState({ kind: "done", report: line.report });
      } else setState({ kind: "error", message: line.error.message });
    });
    if (input.current) input.current.value = "";
    if (ok) onImported();
  };
  const percent = (f: number) => `${Math.round(f * 100)}%`;
  return (
    <section class="transfer" aria-label="Export and import">
      <div class="transfer-actions">
        <a class="button button-small export-all" href="/api/export" download>Export all</a>
        <details class="training-export-menu">
          <summary class="button button-small">Training data</summary>
          <TrainingExport />
        </details>
        <label
          class={busy || !ready
            ? "button button-small import-label disabled"
            : "button button-small import-label"}
        >
          Import…
          <input
            ref={input}
            type="file"
            class="import-input visually-hidden"
            accept=".json,application/json"
            disabled={busy || !ready}
            onChange={(e) => {
              const file = e.currentTarget.files?.[0];
              if (file) void start(file);
            }}
          />
        </label>
      </div>
      {(state.kind === "uploading" || state.kind === "importing") && (
        <progress
          class="import-progress"
          aria-label={state.kind === "uploading" ? "Uploading the export" : "Importing conversations"}
          max={1}
          value={state.fraction}
        />
      )}
      <div class="import-status" role="status" aria-live="polite">
        {state.kind === "uploading" && `Uploading… ${percent(state.fraction)}`}
        {state.kind === "importing" && `Importing… ${percent(state.fraction)} (${state.conversations} read)`}
        {state.kind === "error" && <p class="import-error">Nothing was imported: {state.message}</p>}
        {state.kind === "done" && <ImportSummary report={state.report} />}
      </div>
    </section>
  );
}

function ImportSummary({ report }: { report: ImportReport }): VNode {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return (
    <div class="import-report">
      <p class="import-result">
        Imported {plural(report.imported, "conversation")} ({plural(report.messages, "message")})
        {report.alreadyImported > 0 && `; ${report.alreadyImported} were already here`}.
      </p>
      {report.skipped.length > 0 && (
        <details>
          <summary>Left out ({report.skipped.reduce((n, s) => n + s.count, 0)})</summary>
          <ul class="import-skipped">
            {report.skipped.map((s) => <li key={s.reason}>{s.reason}: {s.count}</li>)}
          </ul>
        </details>
      )}
    </div>
  );
}
