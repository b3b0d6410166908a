// Builds src/main.ts as an ES module TensorBoard loads from /data/plugin/media_panel/static/index.js.
// Heavy viewers are dynamic imports, emitted as chunks next to index.js and resolved relative to it.
import { defineConfig } from "vitest/config";

export default defineConfig({
  build: {
    outDir: "../tb_media_panel/static",
    emptyOutDir: true,
    target: "chrome110",
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
    lib: {
      entry: "src/main.ts",
      formats: ["es"],
      fileName: () => "index.js",
    },
    rollupOptions: {
      output: {
        chunkFileNames: "chunks/[name]-[hash].js",
      },
    },
  },
  test: {
    environment: "jsdom",
    include: ["tests/**/*.test.ts"],
  },
});
