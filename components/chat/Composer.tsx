/**
 * The message box: grows with its text, Enter sends, Shift+Enter adds a line. While a reply
 * streams, Stop appears and Enter queues the message (sent when the reply ends).
 */
import type { ComponentChildren, RefObject, VNode } from "preact";
import { useLayoutEffect } from "preact/hooks";
import { COUNTER_FROM_CHARS, MAX_MESSAGE_CHARS } from "../../lib/chat/limits.ts";

/** Tallest the box grows before it scrolls, in px (CSS caps it too). */
const MAX_HEIGHT = 240;

/** Props of {@link Composer}. */
export interface ComposerProps {
  text: string;
  busy: boolean;
  ready: boolean;
  inputRef: RefObject<HTMLTextAreaElement>;
  /** Shown under the box, e.g. why the last send was refused. */
  notice: string | null;
  onText(text: string): void;
  onSend(): void;
  onStop(): void;
  /** Extra buttons before Send (the microphone, the paperclip). */
  tools?: ComponentChildren;
  /** Shown above the box (files waiting to be sent). */
  above?: ComponentChildren;
  /** Sending with no text is allowed (files are attached). */
  canSendEmpty?: boolean;
  /** Paste into the box (files from the clipboard). */
  onPaste?: (e: ClipboardEvent) => void;
}

/** Renders the composer. */
export function Composer(
  { text, busy, ready, inputRef, notice, onText, onSend, onStop, tools, above, canSendEmpty, onPaste }:
    ComposerProps,
): VNode {
  useLayoutEffect(() => {
    const el = inputRef.current;
    if (!el) return;
    // CSSOM writes are allowed by the CSP (only inline style attributes in markup are not).
    el.style.height = "auto";
    el.style.height = `${Math.min(el.scrollHeight + 2, MAX_HEIGHT)}px`;
  }, [text]);
  const tooLong = text.length > MAX_MESSAGE_CHARS;
  // While a reply streams, text can be queued; files alone wait for the reply to end.
  const canSend = ready && !tooLong && (text.trim() !== "" || (canSendEmpty === true && !busy));
  return (
    <form
      class="composer"
      aria-label="Send a message"
      data-busy={busy ? "true" : "false"}
      onSubmit={(e) => {
        e.preventDefault();
        if (canSend) onSend();
      }}
    >
      {above}
      <div class="composer-box">
        <textarea
          id="composer-input"
          ref={inputRef}
          class="composer-input"
          name="content"
          rows={1}
          placeholder={ready ? "Ask Mini-Claude…" : "Loading…"}
          aria-label="Message"
          aria-describedby={text.length >= COUNTER_FROM_CHARS
            ? "composer-hint composer-count"
            : "composer-hint"}
          aria-invalid={tooLong ? "true" : undefined}
          dir="auto"
          disabled={!ready}
          value={text}
          onInput={(e) => onText(e.currentTarget.value)}
          onPaste={onPaste}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              if (canSend) onSend();
            }
          }}
        />
        {tools}
        {busy && (
          <button
            type="button"
            class="button composer-stop"
            aria-label="Stop the reply (Esc)"
            onClick={onStop}
          >
            Stop
          </button>
        )}
        <button
          type="submit"
          class="button button-primary composer-send"
          aria-label={busy ? "Queue the message (sent when the reply ends)" : "Send"}
          disabled={!canSend}
        >
          {busy ? "Queue" : "Send"}
        </button>
      </div>
      {text.length >= COUNTER_FROM_CHARS && (
        <p id="composer-count" class={tooLong ? "composer-count over" : "composer-count"}>
          {text.length.toLocaleString("en-US")} / {MAX_MESSAGE_CHARS.toLocaleString("en-US")} characters
          {tooLong ? ": too long to send" : ""}
        </p>
      )}
      <p class="no-js-note">Sending messages needs JavaScript. Conversations stay readable without it.</p>
      <p
        id="composer-hint"
        class={notice ? "composer-hint composer-notice" : "composer-hint"}
        aria-live="polite"
      >
        {notice ??
          (busy
            ? "Enter queues the message until the reply ends · Esc stops"
            : "Enter sends · Shift+Enter new line · Esc stops · / focuses here")}
      </p>
    </form>
  );
}
