import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

/** The modules `from` imports statically, transitively (relative .ts imports only). */
function graph(from: URL, seen = new Set<string>()): Set<string> {
  if (seen.has(from.href)) return seen;
  seen.add(from.href);
  const source = readFileSync(from, "utf8");
  for (const match of source.matchAll(/(?:import|export)[^"';]*?from\s+"(\.[^"]+\.ts)"/g)) {
    graph(new URL(match[1]!, from), seen);
  }
  return seen;
}

test("the core entry mod.ts never imports threadkit/redis or the redis client", () => {
  const modules = [...graph(new URL("../../mod.ts", import.meta.url))];
  assert.ok(modules.length > 10);
  assert.deepEqual(modules.filter((m) => m.includes("/src/redis/") || m.endsWith("/redis.ts")), []);
  for (const m of modules) {
    assert.doesNotMatch(
      readFileSync(new URL(m), "utf8"),
      /^import\b[^;]*?from\s+"(npm:)?redis"/m,
      m,
    );
  }
});

test("threadkit/redis imports no module of the redis package (it works on the caller's client)", () => {
  const modules = [...graph(new URL("../../redis.ts", import.meta.url))].filter((m) =>
    m.includes("/src/redis/")
  );
  assert.ok(modules.length >= 9);
  for (const m of modules) {
    assert.doesNotMatch(
      readFileSync(new URL(m), "utf8"),
      /^import\b[^;]*?from\s+"(npm:)?(redis|@redis\/[^"]+)"/m,
      m,
    );
  }
});
