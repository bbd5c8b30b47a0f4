// The analyst console: Preact + TypeScript, built by scripts/build.mjs into dist/console/ and
// served by Verdict at `/` (src/http/console.ts). `npx vite console` serves it for development
// with /api proxied to a Verdict on 127.0.0.1:8080.
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  // JSX compiled for Preact's own runtime (no React compatibility layer: it would only add weight)
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../dist/console',
    emptyOutDir: true,
    target: 'es2022',
    // no inline module-preload polyfill: the Content-Security-Policy allows no inline script
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
