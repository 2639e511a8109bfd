/**
 * Queue A/B probe, one thread (issue 9): putNowait + getNowait pairs on two source trees,
 * round-robin: the path cost without contention. Not part of `npm run bench`.
 *
 * ```sh
 * AB_A=/work/main/mod.ts AB_B=$PWD/mod.ts node bench/probes/queue_ab_single.ts 41
 * AB_KINDS=numbers-sync AB_A=... node bench/probes/queue_ab_single.ts 41
 * ```
 * Kinds (`AB_KINDS`, comma-separated; default `objects,numbers`): `objects` and `numbers`
 * (float64Codec) by putNowait + getNowait; `numbers-sync`: float64Codec by `putSync(i, { timeout })`
 * + `getSync({ timeout })`, as the `queue.oneway-f64` bench row calls them (options parsed);
 * `priority`: a PriorityQueue of numbers (float64Codec) holding 1,023 items of scrambled
 * priorities, putNowait at a scrambled priority + getNowait (each sifts ~10 levels).
 *
 * @module
 */
// Single-thread path cost: putNowait + getNowait pairs, main vs tree, round-robin.
const A = await import(process.env.AB_A ?? new URL("../../mod.ts", import.meta.url).pathname);
const B = await import(process.env.AB_B ?? new URL("../../mod.ts", import.meta.url).pathname);
const rounds = Number(process.argv[2] ?? 31);
const kinds = (process.env.AB_KINDS ?? "objects,numbers").split(",");
for (const kind of kinds) {
  const numbers = kind !== "objects";
  const scrambled = (i: number) => (i * 7919) % 1000;
  const mk = (m: any) => {
    if (kind === "priority") {
      const q = new m.PriorityQueue(0, { codec: m.float64Codec });
      for (let i = 0; i < 1023; i++) q.putNowait(i, { priority: scrambled(i) });
      return q;
    }
    return numbers ? new m.Queue(0, { codec: m.float64Codec }) : new m.Queue();
  };
  const qa = mk(A), qb = mk(B);
  const item = (i: number) => numbers ? i : { id: i, kind: "tick", value: i * 0.5 };
  const bounded = { timeout: 60_000 };
  const run = kind === "numbers-sync"
    ? (q: any, n: number) => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        q.putSync(i, bounded);
        if (q.getSync(bounded) !== i) throw new Error("wrong item");
      }
      return (performance.now() - t0) * 1e6 / n;
    }
    : kind === "priority"
    ? (q: any, n: number) => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        q.putNowait(i, { priority: scrambled(i) });
        q.getNowait();
      }
      return (performance.now() - t0) * 1e6 / n;
    }
    : (q: any, n: number) => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        q.putNowait(item(i));
        q.getNowait();
      }
      return (performance.now() - t0) * 1e6 / n;
    };
  const n = numbers ? 200000 : 50000;
  run(qa, n);
  run(qb, n);
  const r: number[] = [], ta: number[] = [], tb: number[] = [];
  for (let k = 0; k < rounds; k++) {
    let a, b;
    if (k % 2) {
      a = run(qa, n);
      b = run(qb, n);
    } else {
      b = run(qb, n);
      a = run(qa, n);
    }
    ta.push(a);
    tb.push(b);
    r.push(b / a);
  }
  const med = (v: number[]) => [...v].sort((x, y) => x - y)[v.length >> 1]!;
  const s = [...r].sort((x, y) => x - y);
  console.log(
    `${kind}: B/A median ${med(r).toFixed(3)} (q1 ${s[s.length >> 2]!.toFixed(3)}, q3 ${
      s[(3 * s.length) >> 2]!.toFixed(3)
    }); ns/pair A ${med(ta).toFixed(0)} B ${med(tb).toFixed(0)}`,
  );
}
