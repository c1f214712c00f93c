/** Per-conversation settings: the system prompt and the model. */
import type { VNode } from "preact";
import { TrainingExport } from "./TrainingExport.tsx";
import type { ModelInfo, ModelOption } from "./types.ts";

/** Props of {@link SettingsPanel}. */
export interface SettingsPanelProps {
  systemPrompt: string;
  /** Model id, or null for the default. */
  model: string | null;
  models: ModelInfo;
  /** False on a new chat: the settings apply when it is created. */
  saved: boolean;
  /** The open conversation's id, for its training-data export. */
  conversationId?: string;
  onSave(settings: { systemPrompt: string; model: string | null }): void;
  onClose(): void;
}

/** Renders the settings form. */
export function SettingsPanel(props: SettingsPanelProps): VNode {
  const { models } = props;
  return (
    <form
      id="settings"
      class="settings"
      aria-label="Conversation settings"
      onSubmit={(e) => {
        e.preventDefault();
        const form = e.currentTarget;
        const prompt = (form.elements.namedItem("systemPrompt") as HTMLTextAreaElement).value;
        const model = (form.elements.namedItem("model") as HTMLSelectElement).value;
        props.onSave({ systemPrompt: prompt, model: model === "" ? null : model });
      }}
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          props.onClose();
        }
      }}
    >
      <label class="field">
        <span>System prompt</span>
        <textarea
          name="systemPrompt"
          class="settings-prompt"
          rows={3}
          maxLength={8000}
          placeholder="e.g. You are a concise assistant. Answer in British English."
          defaultValue={props.systemPrompt}
        />
      </label>
      <label class="field">
        <span>Model</span>
        <select name="model" class="settings-model" disabled={models.models.length === 0}>
          <option value="" selected={props.model === null}>
            Default{models.label ? ` (${models.label})` : ""}
          </option>
          {models.models.map((m) => (
            <option key={m.id} value={m.id} selected={props.model === m.id}>{m.label}{readsLabel(m)}</option>
          ))}
          {props.model !== null && !models.models.some((m) => m.id === props.model) && (
            <option value={props.model} selected>{props.model}</option>
          )}
        </select>
      </label>
      <TrainingExport conversationId={props.conversationId} />
      <div class="settings-actions">
        <span class="settings-note">{props.saved ? "" : "Applies when the chat starts."}</span>
        <button type="button" class="button" onClick={props.onClose}>Close</button>
        <button type="submit" class="button button-primary settings-save">Save</button>
      </div>
    </form>
  );
}

/** " (reads images, PDFs)" for models that take files; "" for text-only ones. */
function readsLabel(m: ModelOption): string {
  const kinds = (m.accepts ?? []).map((k) => (k === "pdf" ? "PDFs" : "images"));
  return kinds.length ? ` (reads ${kinds.join(", ")})` : "";
}
