import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { AppError, fail } from '../../src-shared/errors';
import type { Workbench } from '../context';
import { dispatch } from '../services/dispatch';
import type { AllHandlers } from '../services/types';
import { appVersion } from '../services/system';
import type { ClientMessage, ServerMessage } from './ws-protocol';

export interface BridgeOptions {
  wb: Workbench;
  handlers: AllHandlers;
  /** The built renderer (index.html and assets). */
  staticDir: string;
  port?: number;
  token?: string;
}

export interface Bridge {
  url: string;
  port: number;
  token: string;
  server: Server;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
};

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The decoded path and the query of a request target, or null when it is not an origin-form target we
 * can serve: a bad percent-escape (`/%`, `/%E0%A4%A`) made decodeURIComponent throw inside the request
 * handler, which ended `fer web` for anyone who could reach the port, token or not. Parsed by hand rather
 * than with `new URL`, which throws too on targets such as `//[` and reads `//host/x` as a host.
 */
function splitTarget(raw: string): { path: string; query: URLSearchParams } | null {
  const cut = raw.search(/[?#]/);
  const encoded = cut < 0 ? raw : raw.slice(0, cut);
  const query = new URLSearchParams(cut < 0 || raw[cut] === '#' ? '' : raw.slice(cut + 1).replace(/#.*$/s, ''));
  if (!encoded.startsWith('/')) return null;
  let path: string;
  try {
    path = decodeURIComponent(encoded);
  } catch {
    return null;
  }
  // A NUL cannot name a file; fs would throw on it rather than say "not there".
  return path.includes('\0') ? null : { path, query };
}

/**
 * Serves the renderer and the contract over a WebSocket on 127.0.0.1 only. A per-launch token in the
 * URL and an Origin check keep other web pages and other local users from driving the workbench.
 */
export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const root = resolve(options.staticDir);
  // AppErrors, so `fer web` prints one line for each of these instead of a stack.
  const wanted = options.port ?? 0;
  if (!Number.isInteger(wanted) || wanted < 0 || wanted > 65535) {
    throw new AppError('BAD_ARGS', `Port ${wanted} is out of range: use 1-65535, or 0 for any free port.`);
  }
  if (!existsSync(join(root, 'index.html'))) {
    throw new AppError('NOT_FOUND', `The renderer is not built: ${join(root, 'index.html')} is missing. Run npm run build:web first.`);
  }
  let port = 0;
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  const server = createServer(function serveStatic(req: IncomingMessage, res: ServerResponse) {
    const plain = (status: number, text: string, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(text);
    // The renderer only ever GETs files; anything else is a client that is not ours.
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(405, 'method not allowed', { allow: 'GET, HEAD' });
    const target = splitTarget(req.url ?? '/');
    if (!target) return plain(400, 'bad request path');
    let rel = target.path;
    if (rel === '/') rel = '/index.html';
    const file = normalize(join(root, rel));
    if (!file.startsWith(root + sep) || !isFile(file)) return plain(404, 'not found');
    res.writeHead(200, {
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'self'; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'",
    });
    // A file that vanishes or cannot be read after the check ends this response, not the server.
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  });

  // Node drops a CONNECT without a word when nobody listens for it; this is no proxy, so answer like any
  // other method the renderer never uses.
  server.on('connect', function refuseConnect(_req: IncomingMessage, socket: Duplex) {
    socket.on('error', () => socket.destroy());
    socket.end('HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', () => socket.destroy());
  });

  // The largest real request is a few KB (ids, a path, a training config; no client sends pixels or
  // files). 1 MiB leaves ample room, and ws refuses a bigger message from its header (close 1009)
  // instead of buffering it.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  server.on('upgrade', function authenticateUpgrade(req, socket, head) {
    // Node takes its own error listener off an upgraded socket; a client that resets it mid-answer must
    // not become an uncaught 'error' that ends the process.
    socket.on('error', () => socket.destroy());
    const target = splitTarget(req.url ?? '/');
    const given = target?.query.get('token') ?? '';
    const origin = req.headers.origin;
    const reject = (status: number, why: string) => {
      // Destroyed once the answer is flushed: destroying at once could drop it.
      socket.end(`HTTP/1.1 ${status} ${why}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${why}\n`, () => socket.destroy());
    };
    if (target?.path !== '/ws') return reject(404, 'Not Found');
    if (!sameToken(given, token)) return reject(401, 'Unauthorized: missing or wrong token');
    if (!origin || !allowedOrigins().has(origin)) return reject(403, 'Forbidden: foreign Origin');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const sockets = new Set<WebSocket>();
  const send = (ws: WebSocket, msg: ServerMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  };
  const unsubscribe = options.wb.events.subscribe((name, payload) => {
    for (const ws of sockets) send(ws, { type: 'event', name, payload });
  });

  wss.on('connection', function onConnection(ws: WebSocket) {
    sockets.add(ws);
    send(ws, { type: 'hello', version: appVersion() });
    ws.on('close', () => sockets.delete(ws));
    // A protocol error (too big 1009, invalid UTF-8 1007, unmasked or malformed frame 1002) is emitted
    // here after ws has already sent that close code. Unheard, it was an uncaught error that ended the
    // bridge for every client. It concerns only this socket, which ws itself closes after the close
    // frame (terminating here could drop that frame), so there is nothing left to do.
    ws.on('error', () => {});
    ws.on('message', async function onMessage(data) {
      let msg: ClientMessage;
      try {
        msg = JSON.parse(String(data)) as ClientMessage;
      } catch {
        return send(ws, { type: 'result', id: -1, envelope: { ok: false, error: { code: 'BAD_ARGS', message: 'Message is not JSON.' } } });
      }
      if (msg?.type !== 'invoke' || typeof msg.id !== 'number') {
        return send(ws, { type: 'result', id: typeof msg?.id === 'number' ? msg.id : -1, envelope: { ok: false, error: { code: 'BAD_ARGS', message: 'Expected {type:"invoke", id, channel, args}.' } } });
      }
      // dispatch turns handler errors into envelopes; this catch is for anything that still escapes, since
      // a rejected listener promise would be an unhandled rejection in the server process.
      const envelope = await dispatch(options.handlers, options.wb, msg.channel, msg.args).catch((err: unknown) => fail('INTERNAL', err instanceof Error ? err.message : String(err)));
      send(ws, { type: 'result', id: msg.id, envelope });
    });
  });

  try {
    await new Promise<void>((resolveListen, rejectListen) => {
      server.once('error', rejectListen);
      server.listen(wanted, '127.0.0.1', () => {
        server.off('error', rejectListen);
        // Later server errors (accept failing on EMFILE, say) must not end the process either.
        server.on('error', (err) => console.error(`fer web: ${err.message}`));
        resolveListen();
      });
    });
  } catch (err) {
    unsubscribe();
    wss.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new AppError('CONFLICT', `Port ${wanted} on 127.0.0.1 is already in use: pick another, or 0 for any free port.`);
    throw new AppError('IO_ERROR', `Cannot listen on 127.0.0.1:${wanted}: ${err instanceof Error ? err.message : String(err)}`);
  }
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/?token=${token}`;
  return {
    url,
    port,
    token,
    server,
    async close() {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
