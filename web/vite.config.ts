import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The repo builds from its root (`vite build --config web/vite.config.ts`),
// so pin root to this folder rather than relying on cwd.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [vue()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
  },
  server: {
    proxy: {
      '/graphql': { target: 'http://localhost:3000', ws: true, changeOrigin: true },
      '/api': { target: 'http://localhost:3000', changeOrigin: true },
      // The refresh cookie's path: POST /auth/refresh and /auth/logout.
      '/auth': { target: 'http://localhost:3000', changeOrigin: true },
    },
  },
})
