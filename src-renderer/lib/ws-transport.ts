import type { Envelope } from '../../src-shared/errors';
import type { ClientMessage, ServerMessage } from '../../src-main/transports/ws-protocol';
import type { Transport } from './transport';

/** The browser bridge: one WebSocket to 127.0.0.1, authenticated by the token in the page's URL. */
export function createWsTransport(location: Location): Transport {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws?token=${encodeURIComponent(token)}`;
  const pending = new Map<number, (env: Envelope<unknown>) => void>();
  const listeners = new Set<(name: string, payload: unknown) => void>();
  let nextId = 1;
  let socket: WebSocket | null = null;
  let opening: Promise<WebSocket> | null = null;

  function connect(): Promise<WebSocket> {
    if (socket && socket.readyState === WebSocket.OPEN) return Promise.resolve(socket);
    if (opening) return opening;
    opening = new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.onopen = () => {
        socket = ws;
        opening = null;
        resolve(ws);
      };
      ws.onerror = () => {
        opening = null;
        reject(new Error('Cannot connect to the workbench bridge (is `npm run web` still running, and is the token in the URL right?)'));
      };
      ws.onclose = () => {
        socket = null;
        for (const [id, settle] of pending) {
          settle({ ok: false, error: { code: 'IO_ERROR', message: 'The connection to the workbench closed.' } });
          pending.delete(id);
        }
      };
      ws.onmessage = (ev) => {
        const msg = JSON.parse(String(ev.data)) as ServerMessage;
        if (msg.type === 'result') {
          pending.get(msg.id)?.(msg.envelope);
          pending.delete(msg.id);
        } else if (msg.type === 'event') {
          for (const l of listeners) l(msg.name, msg.payload);
        }
      };
    });
    return opening;
  }

  return {
    kind: 'bridge',
    async invoke(channel, args) {
      let ws: WebSocket;
      try {
        ws = await connect();
      } catch (err) {
        return { ok: false, error: { code: 'IO_ERROR', message: (err as Error).message } };
      }
      const id = nextId++;
      const message: ClientMessage = { type: 'invoke', id, channel, args };
      return new Promise((resolve) => {
        pending.set(id, resolve);
        ws.send(JSON.stringify(message));
      });
    },
    onEvent(listener) {
      listeners.add(listener);
      void connect().catch(() => undefined);
      return () => listeners.delete(listener);
    },
  };
}
