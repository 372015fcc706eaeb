import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import builder from '../../electron-builder.config';
import viteConfig from '../../electron.vite.config';
import { unpacked } from '../../src-main/asar';
import { nativeAddonReports } from '../../src-main/native-addons';
import { electronSqliteBinary } from '../../src-main/store/native-binding';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { main: string; dependencies: Record<string, string>; scripts: Record<string, string> };
const builderInstalled = (() => {
  try {
    require.resolve('electron-builder/package.json');
    return true;
  } catch {
    return false;
  }
})();

/** electron-builder's globs as used here: `**`, `*`, `?` and one level of `{a,b}`. */
function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (glob.startsWith('**/', i)) (re += '(?:.*/)?'), (i += 2);
    else if (glob.startsWith('**', i)) (re += '.*'), (i += 1);
    else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      re += `(?:${glob.slice(i + 1, end).split(',').map((alt) => globToRegExp(alt).source.slice(1, -1)).join('|')})`;
      i = end;
    } else re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** electron-builder's `files`: the last pattern that matches decides, `!` excludes. */
function included(path: string, patterns: string[]): boolean {
  let inside = false;
  for (const p of patterns) {
    const negated = p.startsWith('!');
    if (globToRegExp(negated ? p.slice(1) : p).test(path)) inside = !negated;
  }
  return inside;
}
const unpackedInApp = (path: string) => builder.asarUnpack.some((g) => globToRegExp(g).test(path));
/** A file's path inside the packaged app (the repository's layout, node_modules at its root). */
function inApp(file: string): string {
  const at = file.lastIndexOf(`${sep}node_modules${sep}`);
  return (at >= 0 ? file.slice(at + 1) : relative(repo, file)).split(sep).join('/');
}

function pngSize(file: string): { width: number; height: number } {
  const b = readFileSync(file);
  expect(b.subarray(1, 4).toString()).toBe('PNG');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe('installer config (electron-builder.config.ts)', () => {
  it('makes AppImage + deb, NSIS and dmg, and leaves node_modules to the Node build', () => {
    expect(builder.linux.target).toEqual(['AppImage', 'deb']);
    expect(builder.win.target).toEqual(['nsis']);
    expect(builder.mac.target).toEqual(['dmg']);
    expect(builder.npmRebuild).toBe(false);
    expect(pkg.scripts.dist).toBe('node scripts/dist.mjs');
  });

  it('uses an icon from resources/ big enough for every platform, and ships the window icon', () => {
    expect(builder.icon.startsWith('resources/')).toBe(true);
    const { width, height } = pngSize(join(repo, builder.icon));
    expect(width).toBe(height);
    expect(width).toBeGreaterThanOrEqual(512);
    expect(existsSync(join(repo, 'resources/icon.png'))).toBe(true);
    expect(readFileSync(join(repo, 'src-main/electron/main.ts'), 'utf8')).toContain("'../../resources/icon.png'");
    expect(included('resources/icon.png', builder.files)).toBe(true);
  });

  it('packs what electron-vite emits: main, the trainer and evaluation worker bundles, the preload, the renderer', () => {
    const main = viteConfig.main as { build: { outDir: string; rollupOptions: { input: Record<string, string> } } };
    const preload = viteConfig.preload as { build: { outDir: string } };
    const renderer = viteConfig.renderer as { build: { outDir: string } };
    const inputs = main.build.rollupOptions.input;
    // trainer/launcher.ts and evaluation/runner.ts look for these names next to main's bundle (child-entry.ts).
    expect(Object.keys(inputs).sort()).toEqual(['eval-worker', 'index', 'trainer']);
    for (const src of Object.values(inputs)) expect(existsSync(src), src).toBe(true);
    expect(pkg.main).toBe(`./${main.build.outDir}/index.js`);
    const emitted = [...Object.keys(inputs).map((n) => `${main.build.outDir}/${n}.js`), `${preload.build.outDir}/index.cjs`, `${relative(repo, renderer.build.outDir)}/index.html`, `${relative(repo, renderer.build.outDir)}/assets/index-abc.js`];
    for (const file of emitted) expect(included(file, builder.files), file).toBe(true);
    expect(included('out/main/index.js.map', builder.files)).toBe(false);
    expect(included('package.json', builder.files)).toBe(true);
    expect(included('src-main/electron/main.ts', builder.files)).toBe(false);
  });

  it('ships the Electron build of better-sqlite3 unpacked, where native-binding.ts looks for it', () => {
    const appRoot = `${sep}opt${sep}app${sep}resources${sep}app.asar`;
    const file = electronSqliteBinary({ root: appRoot, sqliteVersion: '12.11.1', platform: process.platform, arch: process.arch, modules: '140' });
    const inside = relative(appRoot, file).split(sep).join('/');
    expect(included(inside, builder.files)).toBe(true);
    expect(unpackedInApp(inside)).toBe(true);
    expect(unpacked(file)).toContain(`app.asar.unpacked${sep}native`);
    // Its sources and Node-ABI objects stay out; its JavaScript stays in.
    expect(included('node_modules/better-sqlite3/deps/sqlite3/sqlite3.c', builder.files)).toBe(false);
    expect(included('node_modules/better-sqlite3/build/Release/obj.target/better_sqlite3.node', builder.files)).toBe(false);
  });

  it('unpacks every native addon installed here and the libraries beside them', () => {
    const addons = nativeAddonReports().filter((a) => a.file);
    expect(addons.length).toBeGreaterThan(0);
    for (const a of addons) expect(unpackedInApp(inApp(a.file!)), a.file).toBe(true);
    const libvips = readdirSync(join(repo, 'node_modules', '@img')).filter((d) => d.startsWith('sharp-libvips-'));
    for (const d of libvips) expect(unpackedInApp(`node_modules/@img/${d}/lib/libvips-cpp.so.8`)).toBe(true);
  });

  it('the wasm kernels and their worker sources are production dependencies, present and unpacked', () => {
    expect(Object.keys(pkg.dependencies)).toContain('@tensorflow/tfjs-backend-wasm');
    const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    // The files engine/backend.ts (setWasmPaths) and engine/wasm-threads.ts read.
    const files = ['dist/tfjs-backend-wasm.wasm', 'dist/tfjs-backend-wasm-simd.wasm', 'dist/tfjs-backend-wasm-threaded-simd.wasm', 'wasm-out/tfjs-backend-wasm-threaded-simd.js', 'wasm-out/tfjs-backend-wasm-threaded-simd.worker.js'];
    for (const f of files) {
      expect(existsSync(join(wasmDir, f)), f).toBe(true);
      expect(unpackedInApp(`node_modules/@tensorflow/tfjs-backend-wasm/${f}`), f).toBe(true);
    }
    // The workbench's own kernels are compiled into the bundle, not loaded from files.
    expect(existsSync(join(repo, 'src-main/engine/wasm/kernels/binaries.ts'))).toBe(true);
  });

  it.skipIf(builderInstalled)('npm run dist without electron-builder says in one line how to get it', () => {
    const r = spawnSync(process.execPath, [join(repo, 'scripts/dist.mjs')], { cwd: repo, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stdout.trim().split('\n')).toEqual([expect.stringMatching(/needs electron-builder.*npm install --no-save electron-builder@26.*npm run dist/)]);
  });
});

describe('the glob matcher used above', () => {
  it('matches like electron-builder for the patterns in the config', () => {
    expect(globToRegExp('out/**/*').test('out/main/index.js')).toBe(true);
    expect(globToRegExp('out/**/*').test('outside/x.js')).toBe(false);
    expect(globToRegExp('**/*.node').test('a.node')).toBe(true);
    expect(globToRegExp('**/*.node').test('node_modules/x/build/a.node')).toBe(true);
    expect(globToRegExp('**/*.node').test('a.nodes')).toBe(false);
    expect(globToRegExp('x/{a,b/c}/**').test('x/b/c/d')).toBe(true);
    expect(globToRegExp('x/{a,b/c}/**').test('x/b/d')).toBe(false);
  });
});
