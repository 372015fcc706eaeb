import type { EventName, EventPayload } from '../src-shared/contract';

export type EventListener = <E extends EventName>(name: E, payload: EventPayload<E>) => void;

/** Services emit here; each transport (Electron IPC, WebSocket bridge, CLI) subscribes once. */
export class EventBus {
  private readonly listeners = new Set<EventListener>();

  emit<E extends EventName>(name: E, payload: EventPayload<E>): void {
    for (const listener of this.listeners) {
      try {
        listener(name, payload);
      } catch (err) {
        // A broken subscriber (a closed socket) must not stop training progress reaching the others.
        console.error(`event listener failed on ${name}:`, err);
      }
    }
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
