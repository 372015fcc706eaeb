import type { Envelope } from '../../src-shared/errors';

/** Messages on the bridge's WebSocket. The renderer's client and the server both use these shapes. */
export type ClientMessage = { type: 'invoke'; id: number; channel: string; args: unknown };
export type ServerMessage =
  | { type: 'result'; id: number; envelope: Envelope<unknown> }
  | { type: 'event'; name: string; payload: unknown }
  | { type: 'hello'; version: string };
