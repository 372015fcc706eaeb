import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { EVENT_CHANNEL_NAMES, INVOKE_CHANNEL_NAMES, IPC_EVENT, IPC_INVOKE } from '../src-shared/channel-names';
import type { Envelope } from '../src-shared/errors';

const invokeNames = new Set<string>(INVOKE_CHANNEL_NAMES);
const eventNames = new Set<string>(EVENT_CHANNEL_NAMES);

/**
 * The renderer sees two named functions and nothing of ipcRenderer. Channels outside the contract are
 * refused here, and again in the main process.
 */
contextBridge.exposeInMainWorld('fer', {
  invoke(channel: string, args: unknown): Promise<Envelope<unknown>> {
    if (!invokeNames.has(channel)) {
      return Promise.resolve({ ok: false, error: { code: 'UNKNOWN_CHANNEL', message: `Unknown channel "${channel}": it is not in the contract.` } });
    }
    return ipcRenderer.invoke(IPC_INVOKE, channel, args) as Promise<Envelope<unknown>>;
  },
  onEvent(listener: (name: string, payload: unknown) => void): () => void {
    const wrapped = (_e: IpcRendererEvent, name: string, payload: unknown) => {
      if (eventNames.has(name)) listener(name, payload);
    };
    ipcRenderer.on(IPC_EVENT, wrapped);
    return () => ipcRenderer.removeListener(IPC_EVENT, wrapped);
  },
});
