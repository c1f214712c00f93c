/**
 * "‹ 2 / 3 ›" under a message that has other versions (regenerated replies, edited messages, hand
 * edits): two buttons with accessible names step to the previous or next version; the count says
 * which one is shown (the group is named "Version 2 of 3 of this reply" for screen readers). Plain
 * buttons, so Tab, Enter and Space work.
 */
import type { VNode } from "preact";

/** Props of {@link BranchSwitcher}. */
export interface BranchSwitcherProps {
  /** The shown version. */
  messageId: string;
  /** Every version, oldest first (the shown one included). */
  siblingIds: string[];
  /** "reply" or "message", for the buttons' names. */
  noun: string;
  /** Switching is not possible now (not hydrated, a reply is streaming). */
  disabled: boolean;
  /** Show this version. `direction` says which button asked (to keep focus on it). */
  onSwitch: (targetId: string, direction: "previous" | "next") => void;
}

/** The version switcher of one message. */
export function BranchSwitcher(
  { messageId, siblingIds, noun, disabled, onSwitch }: BranchSwitcherProps,
): VNode {
  const at = siblingIds.indexOf(messageId);
  const count = siblingIds.length;
  return (
    <div
      class="branch-switcher"
      role="group"
      aria-label={`Version ${at + 1} of ${count} of this ${noun}`}
    >
      <button
        type="button"
        class="action branch-previous"
        aria-label={`Previous version of this ${noun}`}
        disabled={disabled || at <= 0}
        onClick={() => onSwitch(siblingIds[at - 1], "previous")}
      >
        ‹
      </button>
      {/* The group's name says the same in words; a name on a plain span is not allowed in ARIA. */}
      <span class="branch-count" aria-hidden="true">{at + 1} / {count}</span>
      <button
        type="button"
        class="action branch-next"
        aria-label={`Next version of this ${noun}`}
        disabled={disabled || at === -1 || at >= count - 1}
        onClick={() => onSwitch(siblingIds[at + 1], "next")}
      >
        ›
      </button>
    </div>
  );
}
