import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/**
 * The viewer's build and development server. `npm run web` and `zksim view`
 * both use this file; `zksim view` adds a plugin that serves the trace or
 * scenario it was given; `npm run build:web` builds the page as static files
 * into dist/web. The page imports the core from ../src, so the server may
 * read the whole checkout (and nothing outside it).
 */
const webRoot = fileURLToPath(new URL(".", import.meta.url));
const repoRoot = fileURLToPath(new URL("..", import.meta.url));

export default defineConfig({
  root: webRoot,
  // Relative addresses in the built page: any static host serves it, at any sub-path (npm run build:web).
  base: "./",
  // Pre-bundled dependencies live with the others, not in a node_modules under web/.
  cacheDir: `${repoRoot}node_modules/.vite/zksim-viewer`,
  clearScreen: false,
  server: {
    host: "127.0.0.1",
    port: 5173,
    fs: { allow: [repoRoot] },
  },
  preview: { host: "127.0.0.1" },
  // Everything the page and its workers import from npm, bundled once at start:
  // a dependency found late would make the server reload the page mid-load.
  optimizeDeps: {
    include: ["d3", "zod", "yaml", "seedrandom"],
  },
  worker: { format: "es" },
  build: {
    outDir: `${repoRoot}dist/web`,
    emptyOutDir: true,
    target: "es2022",
  },
});
