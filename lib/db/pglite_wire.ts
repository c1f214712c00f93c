/**
 * postgres.js's connection to PGlite inside this process: an object shaped like the `net.Socket`
 * postgres.js expects (its `socket` option) that hands each write, as it is, to PGlite's raw
 * protocol entry (`execProtocolRawStream`) and emits PGlite's answer as the socket's data. A pipelined flight
 * (postgres.js writes every statement it holds in one write) is one call into WebAssembly with one
 * answer, instead of a Unix socket's two system calls and event-loop turns per direction and
 * `pglite-socket`'s one call per protocol message: ~30 µs per statement against ~75 µs
 * (docs/performance.md, first token round six). Nothing listens, so no other process can connect.
 *
 * PGlite has one backend session, shared by every wire made by one {@link PGliteWires}; postgres.js
 * is given one connection (`max: 1`). What a socket server does for its clients is done here:
 * - a wire closed inside a transaction it ran (postgres.js gave up on the connection) rolls it
 *   back, so the next connection does not start inside a stranger's transaction;
 * - a cancel request (postgres.js opens a connection for it) is not supported by PGlite: it is
 *   dropped and its wire closed, which is when postgres.js stops waiting for it;
 * - an SSL request is answered "no" (`N`), as a server without TLS does.
 * A failed call into PGlite (closed, or its WebAssembly aborted) fails the wire: `error`, then
 * `close`, as a lost socket does, so postgres.js reports a connection error.
 */
import { Buffer } from "node:buffer";
import { EventEmitter } from "node:events";
import type { PGlite } from "@electric-sql/pglite";
import { CodedError } from "../../ml/errors.ts";

/** Request codes of the protocol's 8- and 16-byte start packets (PostgreSQL's `pqcomm.h`). */
const SSL_REQUEST = 80877103;
const CANCEL_REQUEST = 80877102;

/** A simple-protocol Query message: `Q`, its length, `rollback` and a NUL. */
const ROLLBACK = (() => {
  const text = new TextEncoder().encode("rollback\0");
  const message = new Uint8Array(5 + text.length);
  message[0] = 0x51;
  new DataView(message.buffer).setInt32(1, 4 + text.length);
  message.set(text, 5);
  return message;
})();

/**
 * What a wire emits when PGlite failed it (closed, or a call into it threw): a connection reset by
 * the peer, which is what it is to postgres.js and to `isConnectionError` (the store answers 503).
 */
export class WireResetError extends CodedError<"ECONNRESET"> {
  constructor(cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super("ECONNRESET", `the embedded database failed the connection: ${reason}`, { cause });
  }
}

/** Makes the wires of one PGlite instance and tracks which one its session is serving. */
export class PGliteWires {
  readonly #db: PGlite;
  readonly #open = new Set<PGliteWire>();
  /** The wire whose messages PGlite ran last: a transaction left open is that wire's. */
  #last: PGliteWire | null = null;

  constructor(db: PGlite) {
    this.#db = db;
  }

  /** A new connection (postgres.js's `socket` option: `socket: () => wires.connect()`). */
  connect(): PGliteWire {
    const wire = new PGliteWire(this);
    this.#open.add(wire);
    return wire;
  }

  /** Closes every wire (before PGlite itself closes); resolves once they are closed. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#open].map((wire) => wire.destroy().closed));
  }

  /** Runs `message` of `wire` in PGlite, one call at a time; resolves with the answer's bytes. */
  run(wire: PGliteWire, message: Uint8Array): Promise<Uint8Array> {
    if (this.#db.closed) return Promise.reject(new Error("the embedded database is closed"));
    return this.#db.runExclusive(async () => {
      this.#last = wire;
      // The streaming entry hands over the answer's bytes as they are (views into PGlite's memory,
      // copied here); `execProtocolRaw` would also parse every row into objects nobody reads.
      const chunks: Uint8Array[] = [];
      await this.#db.execProtocolRawStream(message, { onRawData: (data) => chunks.push(data.slice()) });
      return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    });
  }

  /** `wire` closed: roll back a transaction it left open. */
  async closed(wire: PGliteWire): Promise<void> {
    this.#open.delete(wire);
    if (this.#last !== wire || this.#db.closed) return;
    this.#last = null;
    // Checked and rolled back under the lock that orders every wire's messages, so a transaction a
    // newer connection began meanwhile is never the one rolled back (`exec` would take that lock).
    await this.#db.runExclusive(async () => {
      if (this.#db.isInTransaction()) {
        await this.#db.execProtocolRawStream(ROLLBACK, { onRawData: () => {} });
      }
    });
  }
}

/** One connection; see the module comment. Only what postgres.js calls is implemented. */
export class PGliteWire extends EventEmitter {
  /** `"open"` until closed (postgres.js reads it before ending a connection). */
  readyState: "open" | "closed" = "open";
  readonly #wires: PGliteWires;
  #pending: Uint8Array[] = [];
  #running = false;
  #started = false;
  #closed: Promise<void> | null = null;

  /** Use {@link PGliteWires.connect}. */
  constructor(wires: PGliteWires) {
    super();
    this.#wires = wires;
  }

  /** Queues `chunk` (whole protocol messages) for PGlite; `callback` once it is taken. */
  write(chunk: Uint8Array, callback?: (error?: Error | null) => void): boolean {
    if (this.readyState !== "open") {
      if (callback) queueMicrotask(() => callback(new Error("the PGlite connection is closed")));
      return false;
    }
    this.#pending.push(chunk);
    if (!this.#running) {
      this.#running = true;
      queueMicrotask(() => this.#drain());
    }
    if (callback) queueMicrotask(() => callback(null));
    return true;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0 && this.readyState === "open") {
        const chunk = this.#pending.length === 1 ? this.#pending[0] : Buffer.concat(this.#pending);
        this.#pending = [];
        const answer = this.#started ? await this.#wires.run(this, chunk) : await this.#start(chunk);
        if (answer && answer.length > 0 && this.readyState === "open") {
          this.emit("data", Buffer.from(answer.buffer, answer.byteOffset, answer.length));
        }
      }
    } catch (error) {
      if (this.readyState === "open") {
        this.emit("error", new WireResetError(error));
        this.destroy();
      }
    } finally {
      this.#running = false;
    }
  }

  /** The connection's first packet: a startup message for PGlite, or an SSL or cancel request. */
  async #start(chunk: Uint8Array): Promise<Uint8Array | null> {
    const code = chunk.length >= 8 ? new DataView(chunk.buffer, chunk.byteOffset, 8).getInt32(4) : 0;
    if (code === SSL_REQUEST && chunk.length === 8) return new Uint8Array([0x4e]); // "N"
    if (code === CANCEL_REQUEST && chunk.length === 16) {
      this.destroy();
      return null;
    }
    this.#started = true;
    return await this.#wires.run(this, chunk);
  }

  /** Closes; what postgres.js ends a connection with (Terminate) needs no answer and is not sent. */
  end(): this {
    return this.destroy();
  }

  /** Closes the connection: `close` is emitted once, after a transaction it left open is rolled back. */
  destroy(): this {
    if (this.#closed) return this;
    this.readyState = "closed";
    this.#pending = [];
    this.#closed = this.#wires.closed(this).catch(() => {}).finally(() => {
      this.emit("close", false);
    });
    return this;
  }

  /** Settles once a {@link destroy} has finished (at once when the wire is open). */
  get closed(): Promise<void> {
    return this.#closed ?? Promise.resolve();
  }

  /** No-ops postgres.js may call on a socket. */
  setKeepAlive(): this {
    return this;
  }
  pause(): this {
    return this;
  }
  resume(): this {
    return this;
  }
}
