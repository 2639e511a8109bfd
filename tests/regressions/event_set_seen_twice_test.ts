// Regression: Event.set() raised the flag and bumped the generation in two steps. A waiter
// could see the flag, return, clear() and wait again before the bump landed; the late bump
// then woke the new wait, so one set() satisfied two waits and a ping-pong fell out of step.
// Found by the event ping-pong benchmark. Fixed by keeping flag and generation in one word.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Event } from "../../mod.ts";
import { spawn, until } from "../helpers.ts";

const FIXTURE = new URL("../fixtures/event_pingpong.ts", import.meta.url);

test("a wait that starts after a set() was seen and cleared is not woken by that set()", async () => {
  const ping = new Event();
  const pong = new Event();
  // The worker's set() pauses 50 ms after each of its atomic writes to the event.
  const setter = spawn(
    "-",
    { role: "slowset", ping: ping.handle, pong: pong.handle },
    20_000,
    FIXTURE,
  );
  await until(() => ping.isSet(), "the slow set() raised the flag");
  assert.equal(ping.waitSync({ timeout: 0 }), true);
  ping.clear();
  // No set() comes after this clear(): the wait must time out, however set() is built.
  assert.equal(ping.waitSync({ timeout: 300 }), false);
  assert.equal(await setter.result, true);
});

test("event ping-pong between two workers stays in step, CPUs oversubscribed", async () => {
  const ping = new Event();
  const pong = new Event();
  const round = new SharedArrayBuffer(4);
  const stop = new SharedArrayBuffer(4);
  const input = (role: string) => ({
    role,
    ping: ping.handle,
    pong: pong.handle,
    round,
    rounds: 20_000,
    stop,
  });
  const hogs = [0, 1, 2].map(() => spawn("-", input("hog"), 60_000, FIXTURE));
  const a = spawn("-", input("ping"), 60_000, FIXTURE);
  const b = spawn("-", input("pong"), 60_000, FIXTURE);
  try {
    assert.deepEqual(await Promise.all([a.result, b.result]), [20_000, 20_000]);
  } finally {
    Atomics.store(new Int32Array(stop), 0, 1);
    await Promise.allSettled(hogs.map((h) => h.result));
  }
});
