/**
 * A tiny static server for the browser test, on 127.0.0.1 and a random port, that ends itself
 * after a bounded lifetime.
 *
 * Two sites, one server:
 * - `/isolated/…` sends `Cross-Origin-Opener-Policy: same-origin` and
 *   `Cross-Origin-Embedder-Policy: require-corp` on every response (page, modules, worker
 *   scripts), so the page and its workers are cross-origin isolated;
 * - `/plain/…` sends neither, so SharedArrayBuffer is missing there.
 * Both send `Cross-Origin-Resource-Policy: same-origin` on every response.
 *
 * Under each prefix, `lib/…` is the library built for browsers (a temp dir) and everything else
 * comes from `tests/browser/`.
 *
 * @module
 */

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import type { AddressInfo } from "node:net";

/** A running server. */
export interface StaticServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** Every path served so far, with its status (for failure messages). */
  readonly log: string[];
  /** Stops it (idempotent), dropping open connections. */
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

/** `base` joined with `rel`, or `undefined` when `rel` would leave `base`. */
function inside(base: string, rel: string): string | undefined {
  const path = normalize(join(base, rel));
  return path.startsWith(base.endsWith(sep) ? base : base + sep) ? path : undefined;
}

/**
 * Serves `libDir` under `/<site>/lib/` and `pageDir` under `/<site>/`, for `lifetimeMs` at most.
 */
export async function startServer(
  libDir: string,
  pageDir: string,
  lifetimeMs: number,
): Promise<StaticServer> {
  const log: string[] = [];
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const match = /^\/(isolated|plain)\/(.*)$/.exec(url.pathname);
    const headers: Record<string, string> = { "Cross-Origin-Resource-Policy": "same-origin" };
    let status = 404;
    let body: Uint8Array | string = "not found";
    if (match) {
      const [, site, rest = ""] = match;
      if (site === "isolated") {
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Embedder-Policy"] = "require-corp";
      }
      const path = rest.startsWith("lib/")
        ? inside(libDir, rest.slice(4))
        : inside(pageDir, rest === "" ? "page.html" : rest);
      const type = path === undefined ? undefined : TYPES[extname(path)];
      if (path !== undefined && type !== undefined) {
        try {
          body = await readFile(path);
          status = 200;
          headers["Content-Type"] = type;
          headers["Cache-Control"] = "no-store";
        } catch {
          // 404
        }
      }
    }
    log.push(`${status} ${url.pathname}`);
    res.writeHead(status, headers);
    res.end(body);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= new Promise<void>((resolve) => {
      clearTimeout(lifetime);
      server.close(() => resolve());
      server.closeAllConnections();
    });
  // Bounded lifetime: whatever happens to the test, the server does not outlive it for long.
  const lifetime = setTimeout(close, lifetimeMs);
  lifetime.unref();
  return { origin: `http://127.0.0.1:${port}`, log, close };
}
