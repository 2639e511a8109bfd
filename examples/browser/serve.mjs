// examples/browser/serve.mjs: node browser/serve.mjs, run from the project folder (the one with
// node_modules/), then open the address it prints. PORT=8000 by default; PORT=0 picks a free one.
// SharedArrayBuffer exists only on a cross-origin-isolated page: every response (the page, its
// modules, the workers' scripts) carries the two headers below. Any server that sends them works.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";

const ISOLATION = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};
const root = process.cwd();

const server = createServer(async (request, response) => {
  const { pathname } = new URL(request.url ?? "/", "http://localhost");
  const path = normalize(join(root, decodeURIComponent(pathname)));
  const file = path.endsWith(sep) ? join(path, "index.html") : path;
  const type = TYPES[extname(file)];
  try {
    if (!file.startsWith(root + sep) || type === undefined) throw new Error("Not served");
    const body = await readFile(file);
    response.writeHead(200, { ...ISOLATION, "Content-Type": type });
    response.end(body);
  } catch {
    response.writeHead(404, ISOLATION);
    response.end("Not found");
  }
});
server.listen(Number(process.env.PORT ?? 8000), "127.0.0.1", () => {
  console.log(`Serving ${root} at http://127.0.0.1:${server.address().port}/browser/`);
});
