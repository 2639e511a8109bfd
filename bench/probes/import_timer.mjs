// Worker of bench/probes/thread_start.ts: times one import (a module URL, or a `node:` built-in
// through process.getBuiltinModule) in this fresh worker and posts the milliseconds on the port
// it was sent, then ends. Plain JavaScript, so that only the import being timed is compiled.
const g = globalThis;
async function run({ port, url }) {
  const t0 = performance.now();
  if (url.startsWith("node:")) g.process.getBuiltinModule(url);
  else await import(url);
  port.postMessage(performance.now() - t0);
  if (g.Deno !== undefined) g.close();
  else g.process.exit(0);
}
if (g.Deno === undefined && g.Bun === undefined) {
  g.process.getBuiltinModule("node:worker_threads").parentPort.once("message", run);
} else {
  g.addEventListener("message", (event) => run(event.data), { once: true });
}
