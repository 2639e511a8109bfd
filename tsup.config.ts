import { defineConfig } from "tsup";

// dist/ for npm consumers: ESM + CJS + .d.ts, built from the same sources JSR publishes.
export default defineConfig({
  entry: { mod: "mod.ts" },
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  target: "es2022",
  platform: "neutral",
  splitting: false,
  sourcemap: true,
});
