import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addonAbi, elfDynamicSymbols, nativeAddonReports } from '../../src-main/native-addons';
import { tempDir } from '../helpers/workbench';

const require = createRequire(import.meta.url);
const reports = nativeAddonReports();
const byPackage = (pkg: string) => reports.filter((r) => r.package === pkg);
const installed = (pkg: string) => {
  try {
    require.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
};
const linux = process.platform === 'linux';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

/**
 * Electron runs its own NODE_MODULE_VERSION, so only Node-API addons load there from the same file. Which kind
 * each addon is gets read from its symbol table here (issue 20: "prove it with a check, not a belief").
 */
describe.skipIf(!linux)('native addons and the ABI they are bound to', () => {
  it('sharp is Node-API: exports napi_register_module_v1 and imports no V8 symbol, and loads here', async () => {
    const sharp = byPackage('sharp');
    expect(sharp.length).toBeGreaterThan(0);
    for (const r of sharp) {
      expect(r.abi, r.file).toBe('node-api');
      expect(addonAbi(r.file!)).toEqual({ kind: 'node-api', v8Imports: 0 });
    }
    const { default: load } = (await import('sharp')) as { default: (input: Buffer, o: object) => { png(): { toBuffer(): Promise<Buffer> } } };
    const png = await load(Buffer.alloc(4), { raw: { width: 2, height: 2, channels: 1 } }).png().toBuffer();
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });

  it('better-sqlite3 is a V8 addon for exactly this Node ABI: the check tells the two kinds apart', () => {
    const [sqlite] = byPackage('better-sqlite3');
    expect(sqlite?.abi).toBe('v8');
    const abi = addonAbi(sqlite!.file!);
    expect(abi).toMatchObject({ kind: 'v8', moduleVersion: Number(process.versions.modules) });
    expect((abi as { v8Imports: number }).v8Imports).toBeGreaterThan(0);
    expect(sqlite!.detail).toMatch(new RegExp(`NODE_MODULE_VERSION ${process.versions.modules}, this runtime.*npm run rebuild:electron`));
  });

  it.skipIf(!installed('@tensorflow/tfjs-node'))('tfjs-node is Node-API', () => {
    const tf = byPackage('@tensorflow/tfjs-node');
    expect(tf.length).toBeGreaterThan(0);
    for (const r of tf) expect(r.abi, r.file).toBe('node-api');
  });

  it.skipIf(!installed('@tensorflow/tfjs-node-gpu'))('tfjs-node-gpu is Node-API', () => {
    const tf = byPackage('@tensorflow/tfjs-node-gpu');
    expect(tf.length).toBeGreaterThan(0);
    for (const r of tf) expect(r.abi, r.file).toBe('node-api');
  });

  it('reads no ABI into files that are not addons or are cut short', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    expect(elfDynamicSymbols(Buffer.alloc(100))).toBe('not an ELF file');
    const text = join(t.dir, 'x.node');
    writeFileSync(text, 'not a shared object');
    expect(addonAbi(text)).toEqual({ kind: 'unknown', reason: 'not an ELF file' });
    const cut = join(t.dir, 'cut.node');
    writeFileSync(cut, readFileSync(byPackage('sharp')[0]!.file!).subarray(0, 4096));
    expect(addonAbi(cut)).toMatchObject({ kind: 'unknown', reason: expect.stringMatching(/truncated/) });
  });
});
