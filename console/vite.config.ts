import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The console: a single-page app built into console/dist and served by `stratus server`. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Assets under /assets/: the server serves them without a token (they hold no data).
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    // `npx vite console` for development: the API comes from a running `stratus server`.
    proxy: { '/api': 'http://127.0.0.1:8080', '/endpoints': 'http://127.0.0.1:8080' },
  },
});
