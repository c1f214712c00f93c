/**
 * The voice controls of the chat page, driven by {@link useVoice}: the voice menu in the top bar
 * (auto-speak, voice picker), the microphone and hands-free buttons in the composer, and the
 * hands-free bar with its state badge and exit button.
 */
import type { VNode } from "preact";
import { Icon } from "./icons.tsx";
import type { HandsFreeState, Voice } from "./use_voice.ts";

/** Props shared by the controls. */
export interface VoiceControlProps {
  voice: Voice;
  /** The page is hydrated. */
  ready: boolean;
}

/** Top-bar menu: auto-speak toggle and voice picker (the voice list loads when it opens). */
export function VoiceMenu({ voice, ready }: VoiceControlProps): VNode {
  const { voices, voiceId, voicesNote } = voice;
  return (
    <details
      class="voice-menu"
      onToggle={(e) => {
        if ((e.currentTarget as HTMLDetailsElement).open) voice.loadVoices();
      }}
      onKeyDown={(e) => {
        // Esc closes the popover and puts focus back on its button.
        const menu = e.currentTarget as HTMLDetailsElement;
        if (e.key === "Escape" && menu.open) {
          e.preventDefault();
          e.stopPropagation();
          menu.open = false;
          menu.querySelector<HTMLElement>("summary")?.focus();
        }
      }}
    >
      <summary class="icon-button voice-menu-toggle" aria-label="Voice settings" title="Voice settings">
        <Icon name="speaker" />
      </summary>
      <div class="voice-panel">
        <label class="voice-option">
          <input
            type="checkbox"
            class="auto-speak"
            checked={voice.autoSpeak}
            disabled={!ready || !voice.canSpeak}
            onChange={(e) => voice.setAutoSpeak(e.currentTarget.checked)}
          />
          Read replies aloud as they complete
        </label>
        <label class="field">
          Voice
          <select
            class="voice-picker"
            disabled={!ready || voices === null || voices.length === 0}
            value={voiceId ?? ""}
            onChange={(e) => voice.setVoiceId(e.currentTarget.value)}
          >
            {voices === null
              ? <option value={voiceId ?? ""}>{voicesNote ? "Browser voice" : "Default voice"}</option>
              : voices.map((v) => <option key={v.id} value={v.id}>{v.name}</option>)}
          </select>
        </label>
        {voicesNote && <p class="voice-note">{voicesNote}</p>}
      </div>
    </details>
  );
}

/** The composer's microphone: record/stop, or explains why voice input is unavailable. */
export function MicButton({ voice, ready, busy }: VoiceControlProps & { busy: boolean }): VNode {
  const active = voice.mic !== "idle" && voice.handsFree === "off";
  const label = voice.mic === "recording"
    ? "Stop recording and transcribe"
    : voice.mic === "transcribing"
    ? "Transcribing…"
    : voice.micTitle;
  return (
    <button
      type="button"
      class={`icon-button mic-button mic-${voice.mic}`}
      aria-label={label}
      title={label}
      aria-pressed={active ? "true" : "false"}
      disabled={!ready || busy || voice.micMode === "none" || voice.handsFree !== "off" ||
        voice.mic === "transcribing"}
      onClick={voice.toggleMic}
    >
      {voice.mic === "transcribing" ? "…" : <Icon name="mic" />}
    </button>
  );
}

/** Starts the hands-free conversation. */
export function HandsFreeButton({ voice, ready, busy }: VoiceControlProps & { busy: boolean }): VNode {
  const unavailable = voice.micMode === "none";
  const label = unavailable ? voice.micTitle : "Hands-free conversation: listen, reply aloud, listen again";
  return (
    <button
      type="button"
      class="icon-button handsfree-start"
      aria-label={label}
      title={label}
      disabled={!ready || busy || unavailable || voice.handsFree !== "off" || voice.mic !== "idle"}
      onClick={voice.startHandsFree}
    >
      <Icon name="headphones" />
    </button>
  );
}

const BADGE: Record<Exclude<HandsFreeState, "off">, string> = {
  listening: "Listening…",
  thinking: "Thinking…",
  speaking: "Speaking…",
};

/** Visible state of the hands-free mode and the way out (the button, or Esc). */
export function HandsFreeBar({ voice }: { voice: Voice }): VNode | null {
  if (voice.handsFree === "off") return null;
  // Transcribing the turn is part of "thinking" for the person waiting.
  const state = voice.handsFree === "listening" && voice.mic === "transcribing"
    ? "thinking"
    : voice.handsFree;
  return (
    <div class="handsfree-bar" role="region" aria-label="Hands-free conversation">
      <span class={`voice-badge voice-badge-${state}`} role="status" aria-live="polite" data-state={state}>
        {BADGE[state]}
      </span>
      {voice.browserVoice && state === "speaking" && <span class="voice-source">browser voice</span>}
      <button type="button" class="button button-small handsfree-stop" onClick={voice.stopHandsFree}>
        Stop hands-free (Esc)
      </button>
    </div>
  );
}
