/**
 * Entry of every benchmark worker. The first message names a case (module URL + case name) and
 * carries its input; the worker imports the module, builds the case's body and then runs it once
 * per run of the control protocol (see `control.ts`) until told to quit.
 *
 * A failure sets FAIL, wakes the parent and posts the error, so the parent reports it instead of
 * waiting out its deadline.
 *
 * @module
 */

import { CONTROL_SLOTS, DONE, FAIL, GO, ITER, QUIT, READY, waitUntil } from "./control.ts";
import { parentChannel } from "./env.ts";
import type { BodyContext, Case } from "./types.ts";

interface Init {
  module: string;
  name: string;
  ctx: BodyContext;
  input: unknown;
  control: SharedArrayBuffer;
}

const channel = await parentChannel();

channel.onMessage(async (init: Init) => {
  let control: Int32Array | undefined;
  try {
    control = new Int32Array(init.control, 0, CONTROL_SLOTS);
    const mod = await import(init.module) as { cases?: Case[] };
    const found = mod.cases?.find((c) => c.name === init.name);
    if (found === undefined || found.kind !== "threads") {
      throw new Error(`bench worker: no threads case ${init.name} in ${init.module}`);
    }
    const body = await found.body(init.input, init.ctx);
    const c = control;
    const { label, stallMs } = init.ctx;
    for (let run = 1;; run++) {
      Atomics.add(c, READY, 1);
      Atomics.notify(c, READY);
      const go = waitUntil(
        c,
        GO,
        () => Atomics.load(c, GO) >= run,
        `${label}: waiting for the start of run ${run}`,
        // Between two runs of this case the parent measures the other cases of the group.
        stallMs * 4,
        () => Atomics.load(c, QUIT) === 1 || Atomics.load(c, FAIL) === 1,
      );
      if (!go) break;
      await body(Atomics.load(c, ITER));
      Atomics.add(c, DONE, 1);
      Atomics.notify(c, DONE);
    }
    channel.post({ type: "bye" });
  } catch (error) {
    const e = error as Error;
    if (control !== undefined) {
      Atomics.store(control, FAIL, 1);
      for (const slot of [READY, DONE, GO]) Atomics.notify(control, slot);
    }
    channel.post({
      type: "error",
      name: e?.name,
      message: e?.message ?? String(error),
      stack: e?.stack,
    });
  }
});
