/**
 * Groups the statements postgres.js sends into flights (round trips), for `openDatabase`'s
 * `onQuery` hook. postgres.js builds a statement (and calls the hook) when it puts it on the
 * connection, and writes what it built in a later `setImmediate`; a statement held back until an
 * earlier one answers (it waits for that answer) is built in a later turn of the event loop. So
 * statements built before the first `setImmediate` after a flight's first statement went out
 * together, and any statement built after it started a new flight: it was sent after something.
 * This is event-loop order, not timing, so it does not depend on the machine's load.
 */
import { setImmediate } from "node:timers";

/** A statement and the number of the flight it went out in (1, 2, ...). */
export interface SentStatement {
  statement: string;
  flight: number;
}

/** Records statements with their flight numbers; pass {@link FlightRecorder.onQuery} to openDatabase. */
export class FlightRecorder {
  readonly sent: SentStatement[] = [];
  #flight = 0;
  #open = false;

  /** The `onQuery` hook. */
  readonly onQuery = (statement: string): void => {
    if (!this.#open) {
      this.#open = true;
      this.#flight++;
      // Scheduled before postgres.js schedules its write of this statement, so it runs first.
      setImmediate(() => this.#open = false);
    }
    this.sent.push({ statement: statement.trim(), flight: this.#flight });
  };

  /**
   * Where the recorder is now: the number of statements recorded, and the current flight while it is
   * still open (its statements are being sent in this turn of the event loop, so none has been
   * answered yet), else null.
   */
  now(): { sent: number; openFlight: number | null } {
    return { sent: this.sent.length, openFlight: this.#open ? this.#flight : null };
  }

  /** Statements sent from index `from` on, each with its flight counted from 1 at `from`. */
  since(from: number): SentStatement[] {
    const part = this.sent.slice(from);
    const first = part[0]?.flight ?? 0;
    return part.map((s) => ({ statement: s.statement, flight: s.flight - first + 1 }));
  }
}
