import type { Envelope } from '../../src-shared/errors';

/** How the renderer reaches the services: Electron IPC through the preload, or the bridge's WebSocket. */
export interface Transport {
  readonly kind: 'electron' | 'bridge';
  invoke(channel: string, args: unknown): Promise<Envelope<unknown>>;
  /** Subscribes to every contract event; returns the unsubscribe function. */
  onEvent(listener: (name: string, payload: unknown) => void): () => void;
}

/** What the preload puts on window.fer: named functions only. */
export interface PreloadApi {
  invoke(channel: string, args: unknown): Promise<Envelope<unknown>>;
  onEvent(listener: (name: string, payload: unknown) => void): () => void;
}

declare global {
  interface Window {
    fer?: PreloadApi;
  }
}
