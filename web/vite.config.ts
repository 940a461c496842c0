import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('.', import.meta.url));

// Built into web/dist, which the server serves at `/` (src/api/app.ts). In development,
// `npx vite web` proxies the API to a server on :3000.
export default defineConfig({
  root,
  plugins: [react()],
  // Pure domain both sides read (the workflow table, role ranks): see web/tsconfig.json `paths`.
  resolve: { alias: { '@shared': fileURLToPath(new URL('../src/core/shared', import.meta.url)) } },
  build: { outDir: `${root}dist`, emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 800 },
  server: { proxy: { '/api': 'http://127.0.0.1:3000', '/healthz': 'http://127.0.0.1:3000' } },
});
