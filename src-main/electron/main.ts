// The only module that imports electron: a thin shell that wires the contract to IPC.
import { app, BrowserWindow, dialog, ipcMain, shell } from 'electron';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IPC_EVENT, IPC_INVOKE } from '../../src-shared/contract';
import { openWorkbench, type Workbench } from '../context';
import { dispatch } from '../services/dispatch';
import { setChildHost } from '../child-launcher';
import { utilityHost } from './utility-launcher';
import { handlers as domainHandlers } from '../services/index';
import type { AllHandlers } from '../services/types';

let wb: Workbench | undefined;

/** The desktop app answers the one channel only it can: a native dialog for the import path. */
const handlers: AllHandlers = {
  ...domainHandlers,
  'system.pickPath': async function pickPath(args) {
    const win = BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0];
    const options = { title: args.title ?? 'Choose FER2013 data', properties: [args.kind === 'file' ? 'openFile' : 'openDirectory'] as ('openFile' | 'openDirectory')[], filters: args.kind === 'file' ? [{ name: 'FER2013 CSV', extensions: ['csv'] }] : [] };
    const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
    return { path: result.canceled ? null : (result.filePaths[0] ?? null) };
  },
};
// Bundled as ESM, so there is no __dirname: the preload and renderer sit beside out/main.
const here = fileURLToPath(new URL('.', import.meta.url));

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1360,
    height: 880,
    title: 'FER Workbench',
    icon: join(here, '../../resources/icon.png'),
    show: false,
    webPreferences: {
      preload: join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  win.once('ready-to-show', () => win.show());
  // Links open in the user's browser, never inside the app window.
  win.webContents.setWindowOpenHandler(({ url }) => {
    void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event) => event.preventDefault());
  if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL);
  else void win.loadFile(join(here, '../renderer/index.html'));
  return win;
}

async function start(): Promise<void> {
  await app.whenReady();
  // The trainer and the evaluation worker start as Electron utility processes (child-launcher.ts).
  setChildHost(utilityHost);
  const homeFlag = process.argv.find((a) => a.startsWith('--home='))?.slice('--home='.length);
  wb = openWorkbench({ flag: homeFlag, fallback: app.getPath('userData') });
  const workbench = wb;
  ipcMain.handle(IPC_INVOKE, function onInvoke(event, channel: unknown, args: unknown) {
    // Only our own window's frames may call in.
    if (!BrowserWindow.fromWebContents(event.sender)) return { ok: false, error: { code: 'UNAUTHORIZED', message: 'Unknown sender.' } };
    return dispatch(handlers, workbench, channel, args);
  });
  workbench.events.subscribe((name, payload) => {
    for (const win of BrowserWindow.getAllWindows()) win.webContents.send(IPC_EVENT, name, payload);
  });
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
app.on('will-quit', () => {
  void wb?.close();
});

void start();
