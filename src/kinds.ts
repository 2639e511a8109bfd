/**
 * The primitive kinds that threads revive automatically in their arguments and results, entered
 * into the table of `internal/revive.ts`. A primitive added later either gets a line here or
 * calls `registerKind(kind, X.from)` in its own file; both work, and registering twice is
 * harmless. Kinds are registered by explicit calls (not import side effects), so bundlers that
 * trust `"sideEffects": false` keep them.
 *
 * @module
 */

import { Barrier } from "./barrier.ts";
import { Condition } from "./condition.ts";
import { Event } from "./event.ts";
import { Latch } from "./latch.ts";
import { Once } from "./once.ts";
import { LifoQueue, PriorityQueue, Queue, SimpleQueue } from "./queue/mod.ts";
import { RWLock } from "./rwlock.ts";
import { registerKind } from "./internal/revive.ts";
import { Lock } from "./lock.ts";
import { RLock } from "./rlock.ts";
import { BoundedSemaphore, Semaphore } from "./semaphore.ts";

let registered = false;

/** Registers the built-in kinds (once). */
export function registerBuiltinKinds(): void {
  if (registered) return;
  registered = true;
  registerKind("Lock", Lock.from);
  registerKind("RLock", RLock.from);
  registerKind("Semaphore", Semaphore.from);
  registerKind("BoundedSemaphore", BoundedSemaphore.from);
  registerKind("Event", Event.from);
  registerKind("Condition", Condition.from);
  registerKind("Barrier", (handle) => Barrier.from(handle));
  registerKind("Queue", (handle) => Queue.from(handle));
  registerKind("LifoQueue", (handle) => LifoQueue.from(handle));
  registerKind("PriorityQueue", (handle) => PriorityQueue.from(handle));
  registerKind("SimpleQueue", (handle) => SimpleQueue.from(handle));
  registerKind("RWLock", RWLock.from);
  registerKind("Latch", Latch.from);
  registerKind("Once", Once.from);
}
