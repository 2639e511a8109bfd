/**
 * Class identity across copies of threadkit (issue 10 item 2, "dual-package hazard"): every
 * exported class answers `instanceof` for instances made by another copy loaded in the same
 * thread, while subclasses keep ordinary `instanceof` semantics. The second copy is a real one:
 * `mod.ts` and `src/` copied to a temp dir (a query string on `mod.ts` would reload only that
 * file, not the modules it imports). `tests/dist_smoke.mjs` checks the CJS/ESM builds.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as one from "../mod.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "threadkit-copy-"));
cpSync(join(root, "mod.ts"), join(dir, "mod.ts"));
cpSync(join(root, "src"), join(dir, "src"), { recursive: true });
writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
const copyUrl = pathToFileURL(join(dir, "mod.ts")).href;
const two = await import(copyUrl) as typeof one;

/** Every exported class, by name, and how to make an instance of it (without side effects). */
function instances(tk: typeof one): Record<string, object> {
  const url = new URL("./fixtures/thread_ops.ts", import.meta.url);
  return {
    Lock: new tk.Lock(),
    RLock: new tk.RLock(),
    Semaphore: new tk.Semaphore(1),
    BoundedSemaphore: new tk.BoundedSemaphore(1),
    Event: new tk.Event(),
    Condition: new tk.Condition(),
    RWLock: new tk.RWLock(),
    Latch: new tk.Latch(1),
    Once: new tk.Once(),
    Barrier: new tk.Barrier(1),
    Queue: new tk.Queue(),
    LifoQueue: new tk.LifoQueue(),
    PriorityQueue: new tk.PriorityQueue(),
    NotOwnedError: new tk.NotOwnedError("x"),
    TimeoutError: new tk.TimeoutError("x"),
    BrokenBarrierError: new tk.BrokenBarrierError("x"),
    QueueEmptyError: new tk.QueueEmptyError("x"),
    QueueFullError: new tk.QueueFullError("x"),
    QueueShutDownError: new tk.QueueShutDownError("x"),
    OwnerDiedError: new tk.OwnerDiedError("x", 1),
    Thread: new tk.Thread(url),
    Timer: new tk.Timer(1, url),
    // Constructing a pool starts workers: an object on its prototype carries the same mark.
    ThreadPool: Object.create(tk.ThreadPool.prototype),
  };
}

test("the copy is a real second copy (its classes are other objects)", () => {
  assert.notEqual(two.Lock, one.Lock);
  assert.notEqual(two.QueueShutDownError, one.QueueShutDownError);
  assert.notEqual(two.Thread, one.Thread);
});

test("every exported class accepts instances made by another copy, both ways", () => {
  for (const [made, other] of [[one, two], [two, one]] as const) {
    const objects = instances(made);
    for (const [name, value] of Object.entries(objects)) {
      const cls = (other as unknown as Record<string, abstract new (...a: never[]) => unknown>)[
        name
      ]!;
      assert.equal(value instanceof cls, true, `${name} of one copy instanceof the other's`);
      // ...and no other exported class claims it, unless it is a threadkit superclass.
      for (const otherName of Object.keys(objects)) {
        if (otherName === name) continue;
        const superclass = (name === "BoundedSemaphore" && otherName === "Semaphore") ||
          (name === "Timer" && otherName === "Thread");
        const otherCls = (other as unknown as Record<
          string,
          abstract new (...a: never[]) => unknown
        >)[otherName]!;
        assert.equal(value instanceof otherCls, superclass, `${name} instanceof ${otherName}`);
      }
    }
  }
  // Errors stay Errors.
  assert.equal(new two.TimeoutError("x") instanceof Error, true);
});

test("subclasses keep ordinary instanceof semantics", () => {
  class MyLock extends one.Lock {}
  class MyError extends one.TimeoutError {}
  const mine = new MyLock();
  assert.equal(mine instanceof MyLock, true);
  assert.equal(mine instanceof one.Lock, true);
  assert.equal(mine instanceof two.Lock, true);
  // A plain Lock (of either copy) is no MyLock.
  assert.equal(new one.Lock() instanceof MyLock, false);
  assert.equal(new two.Lock() instanceof MyLock, false);
  assert.equal(new MyError("x") instanceof two.TimeoutError, true);
  assert.equal(new two.TimeoutError("x") instanceof MyError, false);
  // A Semaphore is no BoundedSemaphore; non-objects are no instances.
  assert.equal(new two.Semaphore(1) instanceof one.BoundedSemaphore, false);
  for (const value of [null, undefined, 1, "Lock", {}, one.Lock]) {
    assert.equal((value as unknown) instanceof one.Lock, false);
  }
});

/** What `fn` throws (fails when it returns). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  assert.fail("expected a throw");
}

test("catch clauses recognize another copy's errors", () => {
  // (Deno's node:assert.throws tests prototypes, not instanceof: test as user code does.)
  assert.equal(thrown(() => new two.Lock().release()) instanceof one.NotOwnedError, true);
  const q = new two.Queue<number>();
  assert.equal(thrown(() => q.getSync({ timeout: 0 })) instanceof one.QueueEmptyError, true);
  q.shutdown();
  assert.equal(thrown(() => q.getSync({ timeout: 0 })) instanceof one.QueueShutDownError, true);
});

test("a thread module using a second copy sees its revived args as that copy's classes", async () => {
  const lock = new one.Lock();
  const queue = new one.Queue<number>();
  const event = new one.Event();
  const t = new one.Thread<Record<string, boolean>>(
    new URL("./fixtures/brand_ops.ts", import.meta.url),
    { export: "seenByCopy", args: [copyUrl, lock, queue, event] },
  );
  t.start();
  const seen = await t.join({ timeout: 30_000 });
  assert.deepEqual(seen, {
    lockIsLock: true,
    lockIsNotRLock: true,
    queueIsQueue: true,
    eventIsEvent: true,
    emptyCaught: true,
    timeoutCaught: true,
    shutDownCaught: true,
  });
});

test("cleanup: remove the copy", () => {
  rmSync(dir, { recursive: true, force: true });
});
