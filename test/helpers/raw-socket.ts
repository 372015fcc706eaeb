import { connect as tcpConnect, type Socket } from 'node:net';

/** Raw TCP clients for the bridge (test/unit/transports): bytes that fetch or the ws library would never send. */

/** Sends one raw HTTP request (any bytes, as a client may) and resolves with the status code of the answer. */
export function rawStatus(port: number, request: string | Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = tcpConnect(port, '127.0.0.1', () => sock.write(request));
    let got = '';
    sock.setTimeout(5000, () => sock.destroy(new Error('no answer')));
    sock.on('data', (d) => {
      got += d.toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(got);
      if (m) {
        sock.destroy();
        resolve(Number(m[1]));
      }
    });
    sock.on('error', reject);
    sock.on('close', () => reject(new Error(`closed without a status line: ${JSON.stringify(got.slice(0, 80))}`)));
  });
}

/**
 * A WebSocket opened by hand over TCP (token and Origin valid), so a test can send bytes no client
 * library would. `closeCode` resolves with the code of the server's close frame, or null if the
 * connection ends without one.
 */
export async function rawSocket(port: number, token: string): Promise<{ sock: Socket; closeCode: Promise<number | null> }> {
  const sock = tcpConnect(port, '127.0.0.1');
  sock.on('error', () => {});
  let buf = Buffer.alloc(0);
  let upgraded: (err?: Error) => void;
  const ready = new Promise<void>((resolve, reject) => (upgraded = (err) => (err ? reject(err) : resolve())));
  let closeWith: (code: number | null) => void;
  const closeCode = new Promise<number | null>((r) => (closeWith = r));
  sock.on('close', () => {
    closeWith(null);
    upgraded(new Error(`no upgrade: ${buf.toString('latin1').slice(0, 80)}`));
  });
  // A server that neither answers nor closes fails the test in seconds, not at the test timeout.
  sock.setTimeout(5000, () => sock.destroy());
  let handshakeDone = false;
  sock.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    if (!handshakeDone) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      if (!buf.subarray(0, end).toString().startsWith('HTTP/1.1 101')) return void sock.destroy();
      handshakeDone = true;
      buf = buf.subarray(end + 4);
      upgraded();
    }
    // Server frames are unmasked; only the close frame matters here.
    while (buf.length >= 2) {
      let len = buf[1]! & 0x7f;
      let at = 2;
      if (len === 126) [len, at] = [buf.length >= 4 ? buf.readUInt16BE(2) : Infinity, 4];
      else if (len === 127) [len, at] = [buf.length >= 10 ? Number(buf.readBigUInt64BE(2)) : Infinity, 10];
      if (buf.length < at + len) return;
      if ((buf[0]! & 0x0f) === 0x8) closeWith(len >= 2 ? buf.readUInt16BE(at) : 1005);
      buf = buf.subarray(at + len);
    }
  });
  await new Promise<void>((r) => sock.once('connect', () => r()));
  sock.write(
    [
      `GET /ws?token=${token} HTTP/1.1`,
      'Host: 127.0.0.1',
      `Origin: http://127.0.0.1:${port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      '',
      '',
    ].join('\r\n'),
  );
  await ready;
  return { sock, closeCode };
}

/** A client frame: masked (as RFC 6455 requires of clients) unless told otherwise, with any declared length. */
export function wsFrame(opcode: number, payload: Buffer, opts: { mask?: boolean; fin?: boolean; declaredLength?: number } = {}): Buffer {
  const mask = opts.mask ?? true;
  const len = opts.declaredLength ?? payload.length;
  const head = [((opts.fin ?? true) ? 0x80 : 0) | opcode];
  const ext: number[] = [];
  if (len < 126) head.push(len);
  else if (len < 65536) head.push(126), ext.push(len >> 8, len & 0xff);
  else {
    head.push(127);
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(len));
    ext.push(...b);
  }
  if (mask) head[1]! |= 0x80;
  const key = mask ? Buffer.from([0x12, 0x34, 0x56, 0x78]) : Buffer.alloc(0);
  const body = mask ? payload.map((b, i) => b ^ key[i % 4]!) : payload;
  return Buffer.concat([Buffer.from(head), Buffer.from(ext), key, body]);
}
