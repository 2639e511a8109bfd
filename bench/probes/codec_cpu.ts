/**
 * Probe: CPU time per operation of the codec and of a single-thread queue put+get (issue 9),
 * for comparing two builds of the library in alternating processes:
 *
 *   node bench/probes/codec_cpu.ts [--root /path/to/tree] [--case obj,nested,str,queue,f64,ring] [--rounds 7]
 *   (deno run -A …, bun …)
 *
 * `--root` is a directory holding a `mod.ts` (default: this repository), so a copy of an older
 * tree can be measured beside the current one. Each round runs a fixed number of operations and
 * reads `process.cpuUsage()` (user + system of this process, single thread); the figure is the
 * minimum over rounds, which is the least disturbed by other processes on a shared machine.
 *
 * @module
 */

import process from "node:process";

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? argv[at + 1]! : dflt;
};
const root = opt("root", new URL("../..", import.meta.url).pathname);
const rounds = Number(opt("rounds", "7"));
const only = opt("case", "").split(",").filter((s) => s !== "");
const lib = await import(`${root.replace(/\/$/, "")}/mod.ts`);
const { structuredCodec, float64Codec, Queue } = lib;

type Body = (n: number) => number;
const cases: [string, Body][] = [
  ["obj", (n) => {
    // The queue bench's item: encode + decode.
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const b = structuredCodec.encode({ id: i, kind: "tick", value: i * 0.5 });
      sum += (structuredCodec.decode(b) as { id: number }).id;
    }
    return sum;
  }],
  ["nested", (n) => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const b = structuredCodec.encode({
        user: { name: "ada lovelace", id: i, tags: ["a", "b"] },
        ok: true,
        at: i * 1.5,
      });
      sum += (structuredCodec.decode(b) as { at: number }).at;
    }
    return sum;
  }],
  ["str", (n) => {
    // Strings past the ASCII fast path: 60 ASCII chars and 30 non-ASCII ones.
    const long = "the quick brown fox jumps over the lazy dog, again and again!";
    const accented = "héllo wörld — ünïcode ☃ text";
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const b = structuredCodec.encode({ text: long, note: accented, i });
      sum += (structuredCodec.decode(b) as { i: number }).i;
    }
    return sum;
  }],
  ["queue", (n) => {
    const q = new Queue(0);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      q.putSync({ id: i, kind: "tick", value: i * 0.5 });
      sum += (q.getSync() as { id: number }).id;
    }
    return sum;
  }],
  ["f64", (n) => {
    const q = new Queue(0, { codec: float64Codec });
    let sum = 0;
    for (let i = 0; i < n; i++) {
      q.putSync(i);
      sum += q.getSync() as number;
    }
    return sum;
  }],
];
if (only.includes("ring")) {
  // ringbuf.js (the peer of queue.oneway-f64), push + pop of one Int32 in one thread.
  const { RingBuffer } = await import("ringbuf.js");
  const ring = new RingBuffer(RingBuffer.getStorageForCapacity(1024, Int32Array), Int32Array);
  const one = new Int32Array(1);
  cases.push(["ring", (n) => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      one[0] = i;
      ring.push(one, 1);
      ring.pop(one, 1);
      sum += one[0]!;
    }
    return sum;
  }]);
}

const N = 100_000;
const out: string[] = [];
for (const [name, body] of cases) {
  if (only.length > 0 && !only.includes(name)) continue;
  body(N); // warm up
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.cpuUsage();
    body(N);
    const t = process.cpuUsage(t0);
    best = Math.min(best, ((t.user + t.system) * 1000) / N);
  }
  out.push(`${name} ${best.toFixed(1)}`);
}
console.log(out.join("  "));
