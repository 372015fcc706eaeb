import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface ChildEntry {
  file: string;
  execArgv: string[];
}

/** tsx's loader by absolute URL: a bare `--import tsx` would resolve from the cwd, which may be any folder. */
export function tsxLoader(): string {
  try {
    return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  } catch {
    return 'tsx';
  }
}

/**
 * Where a child process's entry is: the TypeScript source run through tsx (CLI, bridge, tests), or, in the
 * electron-vite build, the bundle emitted next to main's (Electron's fork runs it as plain Node).
 */
export function childEntry(tsSource: URL, bundled: URL): ChildEntry | null {
  const ts = fileURLToPath(tsSource);
  if (existsSync(ts)) return { file: ts, execArgv: ['--import', tsxLoader()] };
  const js = fileURLToPath(bundled);
  if (existsSync(js)) return { file: js, execArgv: [] };
  return null;
}
