/// <reference types="vite/client" />
// Lets type checkers (svelte-check) accept the renderer's CSS and asset imports, which Vite bundles.
