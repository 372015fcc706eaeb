// The slice of Electron's API the shell uses, so it type-checks where the optional electron package
// (and its types) could not install. tsconfig.electron.json uses the real types when they are present.
declare module 'electron' {
  interface WebContents {
    send(channel: string, ...args: unknown[]): void;
    setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' | 'allow' }): void;
    on(event: 'will-navigate', listener: (event: { preventDefault(): void }, url: string) => void): this;
  }
  interface WebPreferences {
    preload?: string;
    contextIsolation?: boolean;
    sandbox?: boolean;
    nodeIntegration?: boolean;
    webSecurity?: boolean;
  }
  export class BrowserWindow {
    constructor(options: { width?: number; height?: number; title?: string; icon?: string; show?: boolean; webPreferences?: WebPreferences });
    webContents: WebContents;
    once(event: 'ready-to-show', listener: () => void): this;
    show(): void;
    loadURL(url: string): Promise<void>;
    loadFile(path: string): Promise<void>;
    static getAllWindows(): BrowserWindow[];
    static getFocusedWindow(): BrowserWindow | null;
    static fromWebContents(wc: WebContents): BrowserWindow | null;
  }
  export interface IpcMainInvokeEvent {
    sender: WebContents;
  }
  export const ipcMain: {
    handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: any[]) => unknown): void;
  };
  export const app: {
    whenReady(): Promise<void>;
    getPath(name: 'userData' | 'home' | 'temp'): string;
    on(event: 'activate' | 'window-all-closed' | 'will-quit', listener: () => void): void;
    quit(): void;
  };
  export interface OpenDialogOptions {
    title?: string;
    properties?: ('openFile' | 'openDirectory')[];
    filters?: { name: string; extensions: string[] }[];
  }
  export const dialog: {
    showOpenDialog(options: OpenDialogOptions): Promise<{ canceled: boolean; filePaths: string[] }>;
    showOpenDialog(win: BrowserWindow, options: OpenDialogOptions): Promise<{ canceled: boolean; filePaths: string[] }>;
  };
  export const shell: { openExternal(url: string): Promise<void> };
  export interface IpcRendererEvent {
    sender: unknown;
  }
  export const ipcRenderer: {
    invoke(channel: string, ...args: unknown[]): Promise<unknown>;
    on(channel: string, listener: (event: IpcRendererEvent, ...args: any[]) => void): void;
    removeListener(channel: string, listener: (...args: any[]) => void): void;
  };
  export const contextBridge: { exposeInMainWorld(key: string, api: Record<string, unknown>): void };
  export interface UtilityProcess {
    pid: number | undefined;
    stdout: NodeJS.ReadableStream | null;
    stderr: NodeJS.ReadableStream | null;
    postMessage(message: unknown): void;
    on(event: 'message', listener: (message: unknown) => void): this;
    on(event: 'exit', listener: (code: number) => void): this;
    kill(): boolean;
  }
  export const utilityProcess: {
    fork(
      modulePath: string,
      args?: string[],
      options?: { serviceName?: string; stdio?: 'inherit' | 'pipe' | 'ignore'; env?: Record<string, string>; execArgv?: string[] },
    ): UtilityProcess;
  };
}
