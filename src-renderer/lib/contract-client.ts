import type { EventName, EventPayload, InvokeArgs, InvokeName, InvokeResult } from '../../src-shared/contract';
import type { Envelope, ErrorInfo } from '../../src-shared/errors';
import type { Transport } from './transport';
import { createWsTransport } from './ws-transport';

/** An error envelope surfaced to components: they show `message` where the action happened. */
export class ContractError extends Error {
  readonly code: string;
  readonly details?: unknown;
  constructor(info: ErrorInfo) {
    super(info.message);
    this.name = 'ContractError';
    this.code = info.code;
    this.details = info.details;
  }
}

export interface ContractClient {
  readonly transport: Transport['kind'];
  /** Resolves with the value; rejects with a ContractError carrying the envelope's code. */
  invoke<N extends InvokeName>(channel: N, args: InvokeArgs<N>): Promise<InvokeResult<N>>;
  /** The raw envelope, for callers that branch on errors without exceptions. */
  invokeEnvelope<N extends InvokeName>(channel: N, args: InvokeArgs<N>): Promise<Envelope<InvokeResult<N>>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

export function createClient(transport: Transport): ContractClient {
  return {
    transport: transport.kind,
    async invokeEnvelope(channel, args) {
      return (await transport.invoke(channel, args)) as Envelope<InvokeResult<typeof channel>>;
    },
    async invoke(channel, args) {
      const env = await transport.invoke(channel, args);
      if (!env.ok) throw new ContractError(env.error);
      return env.value as InvokeResult<typeof channel>;
    },
    on(event, listener) {
      return transport.onEvent((name, payload) => {
        if (name === event) listener(payload as EventPayload<typeof event>);
      });
    },
  };
}

function pickTransport(): Transport {
  if (typeof window !== 'undefined' && window.fer) {
    const api = window.fer;
    return { kind: 'electron', invoke: (c, a) => api.invoke(c, a), onEvent: (l) => api.onEvent(l) };
  }
  return createWsTransport(window.location);
}

/** The app's one client: Electron's preload when present, otherwise the browser bridge. */
export const api: ContractClient = createClient(pickTransport());
