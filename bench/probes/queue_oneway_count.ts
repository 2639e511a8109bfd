/**
 * Probe (issue 9, P4 on Bun): what one item of `queue.oneway` costs in futex and lock traffic.
 * One worker putSync()s small objects `{ id, kind, value }` into an unbounded Queue, another
 * getSync()s them (the bench case), with `Atomics.wait` / `notify` / `compareExchange` wrapped in
 * the counted workers to count, per item and per side: parks on NOT_EMPTY (getter) or on the
 * lock word (either side), their results, notifies and how many each woke, lock-word CASes that
 * failed (fast-path acquire found the word held, release found PARKED set), and whether a get
 * found the queue empty. Interleaved with it, round-robin: an uncounted pair for ns/item (the
 * wrappers cost a few ns per call), each in its own loop and each side alone (the other idle);
 * a postMessage stream of the same objects; and two workers spinning a turn counter, one cache
 * line moved per turn, the unit the last line prints every figure in.
 *
 * ```sh
 * npx bun bench/probes/queue_oneway_count.ts [rounds] [items]   (npx node …, npx deno run -A …)
 * AB_A=/tmp/before/mod.ts npx bun bench/probes/queue_oneway_count.ts   (count another tree)
 * CODEC=bytes npx bun bench/probes/queue_oneway_count.ts   (or f64: see `codecName`)
 * MAXSIZE=64 CODEC=f64 npx bun bench/probes/queue_oneway_count.ts   (a bounded queue)
 * ```
 *
 * Found (2026-12-01, 5 × 40000, load 1-6; bench/README.md, "Results by target", the P4 bullets): the consumer parks
 * 0.001-0.008 times per item on every runtime (it lags, then drains), lock CASes fail 0.01-0.06
 * times, the producer notifies nobody 0.3-0.8 times on Bun (0.12 on Node; 0.000 since 383f50e, one
 * getter wake in flight: `src/queue/base.ts`, "Waking getters"). On Bun the producer's
 * loop costs 365-747 ns more per item than its put alone, 0.22-0.48× a postMessage of the same
 * run; 210 ns more with `CODEC=f64`. Bounded (`MAXSIZE=64 CODEC=f64`, 2026-12-02, load ~0.5): the
 * consumer notified NOT_FULL for nobody 0.82 / 0.49 / 0.42 times an item (bun / node / deno), 0.003
 * -0.007 since one putter wake is in flight (`src/queue/base.ts`, "Waking putters"); the stream
 * costs 1.2-2.2 µs an item (maxsize 8: 2.7, 1024: 0.36, unbounded 0.25, Node), following the
 * lock CASes that fail at the bound (0.62, 0.10, 0.004, 0.01 an item), not its sleeps (0.01-0.02
 * an item; `SYNC_SPIN_US=100` cut them to 0.003 and made it slower). SYNC_SPIN_US=n sets the
 * workers' sync spin (`setSyncSpin`). The line-move unit swung 76-389 ns between runs (spinning
 * workers under load): read its column as rough.
 *
 * @module
 */
import { Worker } from "node:worker_threads";

const g = globalThis as any;
const rt = g.Bun !== undefined ? "bun" : g.Deno !== undefined ? "deno" : "node";
const args: string[] = rt === "deno" ? g.Deno.args : g.process.argv.slice(2);
const env = (k: string): string | undefined => rt === "deno" ? g.Deno.env.get(k) : g.process.env[k];
const rounds = Number(args[0] ?? 5);
const n = Number(args[1] ?? 20000);
const path = env("AB_A") ?? new URL("../../mod.ts", import.meta.url).pathname;
const modUrl = new URL(`file://${path}`).href;
/** CODEC=structured (default) | bytes (a near no-op codec of 28 bytes) | f64 (float64Codec). */
const codecName = env("CODEC") ?? "structured";
/** MAXSIZE=n bounds the queue (0, the default, leaves it unbounded, the bench case). */
const maxsize = Number(env("MAXSIZE") ?? 0);
const workerUrl = new URL("./queue_oneway_count_worker.ts", import.meta.url);

function once(w: Worker, pred: (m: any) => boolean): Promise<any> {
  return new Promise((res) => {
    const on = (m: any) => {
      if (pred(m)) {
        w.off("message", on);
        res(m);
      }
    };
    w.on("message", on);
  });
}

type Pair = {
  workers: Worker[];
  run(n: number): Promise<{ ns: number; counts: any[]; side: number[] }>;
  /** The producer puts n alone, then the consumer gets them alone: ns/item of each. */
  solo(n: number): Promise<number[]>;
};

async function pair(kind: "queue" | "post" | "handover", count: boolean): Promise<Pair> {
  let data: any[];
  if (kind === "handover") {
    const sab = new SharedArrayBuffer(128);
    data = ["put", "get"].map((role) => ({ sab, role, kind }));
  } else if (kind === "queue") {
    const mod = await import(path);
    const handle = (codecName === "f64"
      ? new mod.Queue(maxsize, { codec: mod.float64Codec })
      : new mod.Queue(maxsize))
      .handle;
    data = ["put", "get"].map((role) => ({ modUrl, handle, role, count, kind, codec: codecName }));
  } else {
    const { port1, port2 } = new MessageChannel();
    data = [{ port: port1, role: "put", kind }, { port: port2, role: "get", kind }];
  }
  const workers = data.map((d) =>
    new Worker(workerUrl, {
      workerData: d,
      transferList: d.port ? [d.port] : [],
    } as any)
  );
  await Promise.all(workers.map((w) => once(w, (m) => m === "ready")));
  return {
    workers,
    async run(n) {
      const t0 = performance.now();
      const done = workers.map((w) => once(w, (m) => m?.done === true));
      for (const w of workers) w.postMessage(n);
      const counts = await Promise.all(done);
      return {
        ns: ((performance.now() - t0) * 1e6) / n,
        counts: counts.map((c) => c.counts),
        side: counts.map((c) => (c.ms * 1e6) / n),
      };
    },
    async solo(n) {
      const out: number[] = [];
      for (const w of workers) {
        const done = once(w, (m) => m?.done === true);
        w.postMessage(n);
        out.push(((await done).ms * 1e6) / n);
      }
      return out;
    },
  };
}

const plain = await pair("queue", false);
const counted = await pair("queue", true);
const post = await pair("post", false);
const line = await pair("handover", false);
for (const p of [plain, counted, post, line]) await p.run(n / 4); // warm-up
const ns: Record<string, number[]> = {
  queue: [],
  counted: [],
  post: [],
  line: [],
  putLoop: [],
  getLoop: [],
  soloPut: [],
  soloGet: [],
};
const sums: Record<string, number>[] = [{}, {}];
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? [plain, post, line, counted] : [counted, line, post, plain];
  for (const p of order) {
    const { ns: t, counts, side } = await p.run(n);
    const name = p === plain ? "queue" : p === post ? "post" : p === line ? "line" : "counted";
    ns[name]!.push(t);
    if (p === plain) {
      ns.putLoop!.push(side[0]!);
      ns.getLoop!.push(side[1]!);
      // Alone, a bounded queue's producer would fill it and wait for the idle consumer.
      const [put, get] = maxsize > 0 ? [NaN, NaN] : await plain.solo(n);
      ns.soloPut!.push(put!);
      ns.soloGet!.push(get!);
    }
    if (p === counted) {
      counts.forEach((c: Record<string, number>, side: number) => {
        for (const [k, v] of Object.entries(c)) sums[side]![k] = (sums[side]![k] ?? 0) + v;
      });
    }
  }
}
const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
const ratios = ns.queue!.map((q, i) => q / ns.post![i]!).sort((a, b) => a - b);
console.log(
  `${rt} oneway ${codecName}, ${rounds} rounds x ${n}: ns/item queue ${
    med(ns.queue!).toFixed(0)
  } ` +
    `(counted ${med(ns.counted!).toFixed(0)}), postMessage ${med(ns.post!).toFixed(0)}; ` +
    `queue/postMessage median ${med(ratios).toFixed(2)} (${ratios[0]!.toFixed(2)}-${
      ratios.at(-1)!.toFixed(2)
    })`,
);
console.log(
  `  queue, in the workers' own loops: producer ${med(ns.putLoop!).toFixed(0)} ns/item, ` +
    `consumer ${med(ns.getLoop!).toFixed(0)}; alone (the other side idle): putSync ${
      med(ns.soloPut!).toFixed(0)
    }, getSync ${med(ns.soloGet!).toFixed(0)}`,
);
for (const [side, name] of [[0, "producer"], [1, "consumer"]] as const) {
  const per = Object.entries(sums[side]!).sort().map(([k, v]) =>
    `${k} ${(v / (n * rounds)).toFixed(3)}`
  );
  console.log(`  ${name} per item: ${per.join(", ")}`);
}
// A turn of the hand-over pair moves the line once; n turns per side = 2n moves per run.
const moves = ns.line!.map((t) => t / 2);
const inMoves = (v: number[]) => med(v.map((t, i) => t / moves[i]!)).toFixed(1);
console.log(
  `  in cache-line moves between the two workers (same round; one move ${
    med(moves).toFixed(0)
  } ns): queue ${inMoves(ns.queue!)}, producer alone ${inMoves(ns.soloPut!)}, consumer alone ${
    inMoves(ns.soloGet!)
  }, postMessage ${inMoves(ns.post!)}`,
);
for (const w of [...plain.workers, ...counted.workers, ...post.workers, ...line.workers]) {
  w.postMessage(-1);
  await w.terminate();
}
if (rt === "deno") g.Deno.exit(0);
else g.process.exit(0);
