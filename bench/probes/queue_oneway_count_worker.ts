/**
 * Worker of `queue_oneway_count.ts`: per message n, puts or gets n items (counting if asked),
 * posts or receives n messages, or takes n turns of the line hand-over; replies with its time.
 */
import { parentPort, workerData } from "node:worker_threads";
import { COUNT, HEADER_SLOTS, LOCK, NOT_EMPTY, NOT_FULL } from "../../src/queue/header.ts";

const { modUrl, handle, role, count, kind, port } = workerData as any;
const counts: Record<string, number> = {};
const bump = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);
/** A queue's header is the Int32Array of HEADER_SLOTS: how the wrappers tell its words. */
const name = (i: number) =>
  i === LOCK ? "lock" : i === NOT_EMPTY ? "notEmpty" : i === NOT_FULL ? "notFull" : `${i}`;

if (count) {
  const A = Atomics as any;
  const wait = A.wait.bind(Atomics);
  A.wait = (a: Int32Array, i: number, v: number, t?: number) => {
    const r = wait(a, i, v, t);
    if (a.length === HEADER_SLOTS) bump(`wait ${name(i)} ${r}`);
    return r;
  };
  const notify = A.notify.bind(Atomics);
  A.notify = (a: Int32Array, i: number, c?: number) => {
    const r = notify(a, i, c);
    if (a.length === HEADER_SLOTS) bump(`notify ${name(i)} woke ${r}`);
    return r;
  };
  const sub = A.sub.bind(Atomics);
  A.sub = (a: Int32Array, i: number, v: number) => {
    const r = sub(a, i, v);
    // COUNT 1 -> 0: the get took the last item and the ring restarts at offset 0.
    if (a.length === HEADER_SLOTS && i === COUNT && r === 1) bump("took the last item");
    return r;
  };
  const cas = A.compareExchange.bind(Atomics);
  A.compareExchange = (a: Int32Array, i: number, e: number, v: number) => {
    const r = cas(a, i, e, v);
    if (a.length === HEADER_SLOTS && i === LOCK) {
      const what = e === 0 ? "acquire" : v === 0 ? "release" : "other";
      bump(`cas ${what}`);
      if (r !== e) bump(`cas ${what} failed`);
    }
    return r;
  };
}

/**
 * A codec that does almost nothing: 28 bytes (a structured record's size) carrying the id, so
 * the queue's general path (take, held room, release) runs without the structured codec's work.
 */
const scratch = new Uint8Array(28);
const view = new DataView(scratch.buffer);
const bytesCodec = {
  encode: (item: { id: number }) => (view.setFloat64(0, item.id), scratch),
  decode: (bytes: Uint8Array) => ({
    id: new DataView(bytes.buffer, bytes.byteOffset).getFloat64(0),
  }),
};

let next = 0;
if (kind === "handover") {
  // One cache line moved per turn: each side spins until slot 0's parity names it, adds 1.
  const i32 = new Int32Array(workerData.sab as SharedArrayBuffer);
  const id = role === "put" ? 0 : 1;
  parentPort!.on("message", (n: number) => {
    if (n < 0) return;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      while (Atomics.load(i32, 0) % 2 !== id);
      Atomics.add(i32, 0, 1);
    }
    parentPort!.postMessage({ done: true, counts: {}, ms: performance.now() - t0 });
  });
} else if (kind === "post") {
  let want = 0, seen = 0;
  let sum = 0;
  if (role === "get") {
    port.on("message", (d: any) => {
      sum += d.id;
      // Cumulative: the stream may overtake the parent's message that says how many to expect.
      if (++seen === want) parentPort!.postMessage({ done: true, counts: {} });
    });
  }
  parentPort!.on("message", (n: number) => {
    if (n < 0) return port.close();
    if (role === "put") {
      for (let i = 0; i < n; i++) port.postMessage({ id: i, kind: "tick", value: i * 0.5 });
      parentPort!.postMessage({ done: true, counts: {} });
    } else {
      want += n;
      if (seen === want) parentPort!.postMessage({ done: true, counts: {} });
    }
  });
} else {
  const mod = await import(modUrl);
  // SYNC_SPIN_US=n: this worker's sync parks spin up to n µs (the runtime's default otherwise).
  const spinUs = (globalThis as any).process?.env?.SYNC_SPIN_US ??
    (globalThis as any).Deno?.env.get("SYNC_SPIN_US");
  if (spinUs !== undefined) {
    const futex = await import(new URL("../../src/internal/futex.ts", import.meta.url).href);
    futex.setSyncSpin(Number(spinUs));
  }
  const codec = workerData.codec === "f64"
    ? mod.float64Codec
    : workerData.codec === "bytes"
    ? bytesCodec
    : undefined;
  const queue = mod.Queue.from(handle, codec ? { codec } : undefined);
  const f64 = workerData.codec === "f64";
  parentPort!.on("message", (n: number) => {
    if (n < 0) return;
    for (const k of Object.keys(counts)) delete counts[k];
    const t0 = performance.now();
    if (role === "put") {
      for (let i = 0; i < n; i++, next++) {
        queue.putSync(f64 ? next : { id: next, kind: "tick", value: next * 0.5 }, {
          timeout: 60000,
        });
      }
    } else {
      for (let i = 0; i < n; i++, next++) {
        if (count && queue.empty()) bump("found empty");
        const item = queue.getSync({ timeout: 60000 });
        if ((f64 ? item : item.id) !== next) throw new Error(`got ${item.id} expected ${next}`);
      }
    }
    const ms = performance.now() - t0;
    parentPort!.postMessage({ done: true, counts: { ...counts }, ms });
  });
}
parentPort!.postMessage("ready");
