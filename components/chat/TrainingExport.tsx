/**
 * "Export as training data" in the settings panel: a format picker and download links to
 * `GET /api/export/training` for this conversation and for all of the user's conversations (JSON Lines
 * that `deno task validate-data` and `deno task train` read).
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";

const FORMATS = [
  { id: "sharegpt", label: "ShareGPT (conversations)" },
  { id: "openai", label: "OpenAI messages" },
  { id: "alpaca", label: "Alpaca (first exchange)" },
] as const;

/** The export links; `conversationId` adds "This conversation" (absent for a chat not created yet). */
export function TrainingExport(props: { conversationId?: string }): VNode {
  const [format, setFormat] = useState<string>("sharegpt");
  const href = (ids?: string) => `/api/export/training?format=${format}${ids ? `&ids=${ids}` : ""}`;
  return (
    <fieldset class="training-export">
      <legend>Export as training data</legend>
      <label class="field">
        <span>Format</span>
        <select
          name="trainingFormat"
          class="training-export-format"
          value={format}
          onChange={(e) => setFormat(e.currentTarget.value)}
        >
          {FORMATS.map((f) => <option key={f.id} value={f.id}>{f.label}</option>)}
        </select>
      </label>
      <div class="training-export-links">
        {props.conversationId && (
          <a
            class="button training-export-one"
            href={href(props.conversationId)}
            download={`mini-claude-${format}.jsonl`}
          >
            This conversation
          </a>
        )}
        <a class="button training-export-all" href={href()} download={`mini-claude-${format}-all.jsonl`}>
          All conversations
        </a>
      </div>
    </fieldset>
  );
}
