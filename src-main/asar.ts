import { sep } from 'node:path';

/**
 * The real path of a file electron-builder unpacked from the app's asar archive (its asarUnpack list):
 * native addons cannot be loaded from inside app.asar, and worker threads and wasm loaders get plain files
 * this way instead of relying on Electron's asar file-system shim. Outside a packaged app, the path as is.
 */
export function unpacked(file: string): string {
  return file.replace(`${sep}app.asar${sep}`, `${sep}app.asar.unpacked${sep}`);
}
