/**
 * The browser's adapter: threads are module Web Workers (`type: "module"`), composed from
 * `web_worker.ts`; it needs a cross-origin-isolated page for SharedArrayBuffer.
 *
 * Browsers report no exit of a worker. The bootstrap reports every end it can see (the export
 * settled, an uncaught error); a `terminate()` is reported by this adapter itself; a worker that
 * a browser kills otherwise (out of memory) is seen through the result port's `close` event where
 * the browser has it (part of HTML since 2023), else not at all.
 *
 * @module
 */

import type { Runtime, TimerHandle } from "./types.ts";
import { forwardErrors, inWebWorker, webWorkerSide } from "./web_worker.ts";

const startBrowserWorker: Runtime["start"] = (bootstrap, start, options, events) => {
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(bootstrap, { type: "module", name: options.name });
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    port1.close();
    events.exit(undefined);
  };
  port1.onmessage = (event) => events.message(event.data);
  port1.addEventListener("close", end);
  forwardErrors(worker, events);
  worker.postMessage({ ...start, port: port2 }, [port2]);
  return {
    terminate() {
      worker.terminate();
      // No exit event: the worker runs no more script once terminate() returns; let the
      // messages it posted before arrive, then report the end.
      setTimeout(end, 0);
    },
    ref() {},
    unref() {},
    receiveSync: () => null,
    post: (message) => port1.postMessage(message),
  };
};

/** Tasks posted by {@link postByChannel}, run by one message of its channel. */
let posted: (() => void)[] = [];
let postPort: MessagePort | undefined;

/** Browsers have no `setImmediate`: a `MessageChannel` message is the next task. */
function postByChannel(task: () => void): void {
  if (postPort === undefined) {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      const tasks = posted;
      posted = [];
      for (const t of tasks) t();
    };
    postPort = channel.port2;
  }
  posted.push(task);
  postPort.postMessage(null);
}

/** Browsers: module Web Workers; a page stays alive anyway, so ref/unref do nothing. */
export const browserRuntime: Runtime = {
  name: "browser",
  terminateInterrupts: true,
  nudgeAsyncWaits: true,
  asyncSpinMicros: 0,
  syncSpinMicros: 0,
  postTask: postByChannel,
  start: startBrowserWorker,
  workerSide: webWorkerSide,
  isMainThread: () => !inWebWorker(),
  resolveModule(specifier) {
    if (/^(\.{1,2}\/|\/)/.test(specifier)) {
      const base = (globalThis as { document?: { baseURI: string } }).document?.baseURI ??
        location.href;
      return new URL(specifier, base).href;
    }
    if (URL.canParse(specifier)) return specifier;
    throw new TypeError(
      `Cannot resolve thread module ${JSON.stringify(specifier)}: give a URL ` +
        `(new URL("./x.js", import.meta.url)) or a path starting with "/", "./" or "../"`,
    );
  },
  setTimer(fn, ms): TimerHandle {
    const id = setTimeout(fn, ms);
    return { clear: () => clearTimeout(id), ref() {}, unref() {} };
  },
};
