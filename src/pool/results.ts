/**
 * A `ThreadPool`'s result side: the one async reader of the shared result queue (a batch at a
 * time, `getNowait()` while records are there, one `get()` when it runs dry; it runs only while
 * records are due, and its pending `get()` is what keeps the process alive meanwhile), and the
 * decoding of results and errors, whether they came by the queue or by a worker's port.
 *
 * @module
 */

import { revive } from "../internal/revive.ts";
import { registerBuiltinKinds } from "../kinds.ts";
import type { Queue } from "../queue/mod.ts";
import { decodeError, type ErrorRecord } from "../thread/protocol.ts";
import { ERR, OK, type ResultRecord, WAKE } from "./protocol.ts";

/** What the reader needs of its pool. */
export interface ReaderHost {
  /** Whether records are due (the reader waits for them only then). */
  due(): boolean;
  /** Called after each batch: the pool dispatches, starts or stops things. */
  afterChange(): void;
  /** Handles one record (slot ≥ 0). */
  onRecord(slot: number, kind: number, payload: unknown): void;
}

/** The reader of one pool's result queue. */
export class ResultReader {
  readonly #queue: Queue<ResultRecord>;
  readonly #host: ReaderHost;
  #reading = false;
  #awaiting = false;

  constructor(queue: Queue<ResultRecord>, host: ReaderHost) {
    this.#queue = queue;
    this.#host = host;
  }

  /** Starts the reader if records are due and it is not running. */
  read(): void {
    if (this.#reading || !this.#host.due()) return;
    this.#reading = true;
    void this.#loop();
  }

  async #loop(): Promise<void> {
    try {
      for (;;) {
        this.drain();
        this.#host.afterChange();
        if (!this.#host.due()) return;
        let record: ResultRecord;
        this.#awaiting = true;
        try {
          record = await this.#queue.get();
        } finally {
          this.#awaiting = false;
        }
        this.#take(record);
      }
    } finally {
      this.#reading = false;
    }
  }

  /** Reads every record already on the result queue. */
  drain(): void {
    const results = this.#queue;
    while (results.qsize() > 0) this.#take(results.getNowait());
  }

  #take([slot, kind, payload]: ResultRecord): void {
    if (slot >= 0) this.#host.onRecord(slot, kind, payload); // slot -1: WAKE
  }

  /**
   * When records are no longer due: lets the reader's pending `get()` return, so that it stops
   * keeping the process alive.
   */
  wakeIfIdle(): void {
    if (!this.#awaiting || this.#host.due()) return;
    try {
      this.#queue.putNowait([-1, WAKE]);
    } catch {
      // Full: the reader is not waiting then.
    }
  }
}

/** An error record as the thrown value (or the error decoding it threw). */
export function errorOf(record: unknown, wired: boolean): unknown {
  try {
    return decodeError(record as ErrorRecord, wired ? revive : (value) => value);
  } catch (error) {
    return error;
  }
}

/**
 * The outcome a result carries: `OK` with its value (revived when it came `wired`, by a port),
 * `ERR` with its error; `undefined` for a skip.
 */
export function outcomeOf(
  kind: number,
  payload: unknown,
  wired: boolean,
): { ok: boolean; value: unknown } | undefined {
  if (wired) registerBuiltinKinds();
  if (kind === OK) {
    if (!wired) return { ok: true, value: payload };
    try {
      return { ok: true, value: revive(payload) };
    } catch (error) {
      return { ok: false, value: error };
    }
  }
  if (kind === ERR) return { ok: false, value: errorOf(payload, wired) };
  return undefined;
}
