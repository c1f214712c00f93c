/**
 * The open folder's settings: name, the system prompt and model new conversations in it start
 * with, a "New chat here" link, and delete (with an inline confirm; its conversations stay).
 */
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import type { FolderItem, ModelInfo } from "./types.ts";

/** Props of {@link FolderPanel}. */
export interface FolderPanelProps {
  folder: FolderItem;
  models: ModelInfo;
  ready: boolean;
  onSave(patch: { name: string; systemPrompt: string; model: string | null }): void;
  onDelete(): void;
}

/** Renders the folder form. */
export function FolderPanel({ folder, models, ready, onSave, onDelete }: FolderPanelProps): VNode {
  const [confirming, setConfirming] = useState(false);
  return (
    <form
      class="folder-panel"
      aria-label={`Folder “${folder.name}”`}
      onSubmit={(e) => {
        e.preventDefault();
        const form = e.currentTarget;
        const value = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value;
        const model = value("model");
        onSave({ name: value("name").trim(), systemPrompt: value("systemPrompt"), model: model || null });
      }}
    >
      <a class="button button-small folder-new-chat" href={`/?folder=${folder.id}`}>+ New chat here</a>
      <label class="field">
        <span>Folder name</span>
        <input
          name="name"
          class="rename-input folder-name"
          required
          maxLength={200}
          defaultValue={folder.name}
        />
      </label>
      <label class="field">
        <span>System prompt for new chats</span>
        <textarea
          name="systemPrompt"
          class="settings-prompt"
          rows={2}
          maxLength={8000}
          defaultValue={folder.systemPrompt}
        />
      </label>
      <label class="field">
        <span>Model for new chats</span>
        <select name="model" class="folder-model" disabled={models.models.length === 0}>
          <option value="" selected={folder.model === null}>
            Default{models.label ? ` (${models.label})` : ""}
          </option>
          {models.models.map((m) => (
            <option key={m.id} value={m.id} selected={folder.model === m.id}>{m.label}</option>
          ))}
          {folder.model !== null && !models.models.some((m) => m.id === folder.model) && (
            <option value={folder.model} selected>{folder.model}</option>
          )}
        </select>
      </label>
      <div class="settings-actions">
        {confirming
          ? (
            <span class="confirm-delete" role="group" aria-label="Delete this folder?">
              <span>Delete? Its chats stay.</span>
              <button
                type="button"
                class="button button-small button-danger folder-delete-yes"
                ref={(el) => el?.focus()}
                onClick={onDelete}
              >
                Delete
              </button>
              <button type="button" class="button button-small" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </span>
          )
          : (
            <button
              type="button"
              class="button button-small folder-delete"
              disabled={!ready}
              onClick={() => setConfirming(true)}
            >
              Delete folder
            </button>
          )}
        <button type="submit" class="button button-small folder-save" disabled={!ready}>
          Save
        </button>
      </div>
    </form>
  );
}
