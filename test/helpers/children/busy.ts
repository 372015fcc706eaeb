/**
 * A child on child-port.ts: on `{ type: 'go' }` it reports its pid and then works forever (as a long job does),
 * so only the parent-death rule can end it. Anything else from the parent is refused by the port.
 */
import { z } from 'zod';
import { parentPort } from '../../../src-main/child-port';

type Req = { type: 'go' };
type Res = { type: 'busy'; pid: number };

const parent = parentPort<Req, Res>({ requests: z.object({ type: z.literal('go') }) });
parent.onRequest(() => {
  void parent.send({ type: 'busy', pid: process.pid });
  setInterval(() => {}, 1000);
});
