// examples/browser/main.js: the page's module
// The page's main thread may not block: it uses the async forms (await queue.get()); its
// threads may use both. A Thread here is a module Web Worker.
import { Queue, Thread } from "threadkit";

const output = document.querySelector("#result");
try {
  if (!crossOriginIsolated) {
    throw new Error("This page is not cross-origin isolated: serve it with COOP and COEP headers");
  }
  const results = new Queue(16);
  const threads = [0, 1].map((n) =>
    new Thread(new URL("./work.js", import.meta.url), { name: `worker-${n}`, args: [n, results] })
  );
  for (const thread of threads) thread.start();
  const lines = [];
  for (let i = 0; i < 2; i++) lines.push(await results.get({ timeout: 10_000 }));
  for (const thread of threads) await thread.join({ timeout: 10_000 });
  output.textContent = `browser: ${lines.sort().join("; ")}`;
} catch (error) {
  output.textContent = `browser failed: ${error}`;
}
console.log(output.textContent);
