import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

// The bundle is committed (ui/dist) and embedded by the Go package ui, so the
// build must be deterministic: content-hashed file names, no source maps, no
// timestamps. `npm run dev` proxies the API to a local `stepwise server`.
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    assetsDir: 'assets',
    chunkSizeWarningLimit: 2500,
  },
  server: {
    proxy: { '/v1': 'http://127.0.0.1:8080' },
  },
})
