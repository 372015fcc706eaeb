import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { NativeAddonReport } from '../src-shared/contract/system';
import { ELECTRON_NATIVE_FIX } from './store/native-binding';

/**
 * Which ABI a native addon is bound to, read from the file itself. A Node-API addon exports
 * `napi_register_module_v1` and calls only `napi_*` functions, so one build loads in Node and in Electron alike;
 * a V8 addon exports `node_register_module_v<NODE_MODULE_VERSION>` and calls V8's C++ API (`v8::` symbols),
 * so it loads only in a runtime with that exact version. That is why better-sqlite3 needs a second build for
 * Electron (store/native-binding.ts) and sharp or tfjs-node do not.
 */
export type AddonAbi =
  | { kind: 'node-api'; v8Imports: number }
  | { kind: 'v8'; moduleVersion: number; v8Imports: number }
  | { kind: 'unknown'; reason: string };

export function addonAbi(file: string): AddonAbi {
  const symbols = elfDynamicSymbols(readFileSync(file));
  if (typeof symbols === 'string') return { kind: 'unknown', reason: symbols };
  // Itanium-mangled v8:: and node:: names: the calls that tie an addon to one V8.
  const v8Imports = symbols.undefined.filter((s) => s.startsWith('_ZN2v8') || s.startsWith('_ZN4node')).length;
  const v8Entry = symbols.defined.map((s) => /^node_register_module_v(\d+)$/.exec(s)).find((m) => m);
  if (v8Entry) return { kind: 'v8', moduleVersion: Number(v8Entry[1]), v8Imports };
  if (symbols.defined.includes('napi_register_module_v1')) {
    return v8Imports === 0 ? { kind: 'node-api', v8Imports } : { kind: 'unknown', reason: `exports napi_register_module_v1 but imports ${v8Imports} V8 symbols` };
  }
  return { kind: 'unknown', reason: 'exports neither napi_register_module_v1 nor node_register_module_v<N>' };
}

export interface DynamicSymbols {
  defined: string[];
  undefined: string[];
}

/**
 * The dynamic symbol table (.dynsym) of a 64-bit little-endian ELF file, the format of every Linux addon; a
 * string saying why not for anything else (macOS and Windows addons are Mach-O and PE, not read here).
 */
export function elfDynamicSymbols(buf: Buffer): DynamicSymbols | string {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46) return 'not an ELF file';
  if (buf[4] !== 2 || buf[5] !== 1) return 'not a 64-bit little-endian ELF file';
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a);
  const shnum = buf.readUInt16LE(0x3c);
  if (shoff + shentsize * shnum > buf.length) return 'truncated ELF section table';
  const section = (i: number) => {
    const at = shoff + i * shentsize;
    return { type: buf.readUInt32LE(at + 4), offset: Number(buf.readBigUInt64LE(at + 0x18)), size: Number(buf.readBigUInt64LE(at + 0x20)), link: buf.readUInt32LE(at + 0x28), entsize: Number(buf.readBigUInt64LE(at + 0x38)) };
  };
  const SHT_DYNSYM = 11;
  for (let i = 0; i < shnum; i++) {
    const dynsym = section(i);
    if (dynsym.type !== SHT_DYNSYM) continue;
    const strtab = section(dynsym.link);
    if (dynsym.offset + dynsym.size > buf.length || strtab.offset + strtab.size > buf.length || dynsym.entsize < 24) return 'truncated ELF symbol table';
    const out: DynamicSymbols = { defined: [], undefined: [] };
    for (let at = dynsym.offset; at + dynsym.entsize <= dynsym.offset + dynsym.size; at += dynsym.entsize) {
      const nameAt = strtab.offset + buf.readUInt32LE(at);
      const end = buf.indexOf(0, nameAt);
      const name = buf.toString('latin1', nameAt, end < 0 ? strtab.offset + strtab.size : end);
      if (!name) continue;
      // st_shndx 0 (SHN_UNDEF): the symbol comes from the host process or another library.
      (buf.readUInt16LE(at + 6) === 0 ? out.undefined : out.defined).push(name);
    }
    return out;
  }
  return 'no dynamic symbol table';
}

/** The addons behind the app's native dependencies (tfjs-node and tfjs-node-gpu only when installed). */
export function nativeAddonReports(requireFrom: NodeJS.Require = createRequire(import.meta.url)): NativeAddonReport[] {
  const reports: NativeAddonReport[] = [];
  for (const [pkg, files] of Object.entries(ADDON_FILES)) {
    const dir = packageDir(requireFrom, pkg);
    if (!dir) {
      if (pkg.startsWith('@tensorflow/')) continue;
      reports.push({ package: pkg, abi: 'absent', detail: `${pkg} is not installed.` });
      continue;
    }
    const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    const found = files(dir, requireFrom);
    if (!found.length) reports.push({ package: pkg, version, abi: 'absent', detail: `${pkg} ${version} has no native file for ${process.platform}-${process.arch}.` });
    for (const file of found) reports.push({ package: pkg, version, file, ...describe(addonAbi(file)) });
  }
  return reports;
}

function describe(abi: AddonAbi): Pick<NativeAddonReport, 'abi' | 'detail'> {
  if (abi.kind === 'node-api') return { abi: 'node-api', detail: 'Node-API (exports napi_register_module_v1, no V8 imports): the same file loads in Node and in Electron.' };
  if (abi.kind === 'v8') {
    const here = String(abi.moduleVersion) === process.versions.modules ? 'this runtime' : `not this runtime (${process.versions.modules})`;
    return { abi: 'v8', detail: `V8 addon for NODE_MODULE_VERSION ${abi.moduleVersion}, ${here}: Electron loads its own build (${ELECTRON_NATIVE_FIX}).` };
  }
  return { abi: 'unknown', detail: abi.reason };
}

const ADDON_FILES: Record<string, (dir: string, requireFrom: NodeJS.Require) => string[]> = {
  'better-sqlite3': (dir) => existing([join(dir, 'build', 'Release', 'better_sqlite3.node')]),
  // sharp's addon ships in a per-platform package beside it: @img/sharp-<platform>[musl]-<arch>.
  sharp: (dir) => {
    const fromSharp = createRequire(join(dir, 'package.json'));
    const platformDirs = [`${process.platform}-${process.arch}`, `${process.platform}musl-${process.arch}`].map((p) => packageDir(fromSharp, `@img/sharp-${p}`, '/package'));
    return platformDirs.flatMap((d) => (d ? addonsUnder(join(d, 'lib')) : []));
  },
  '@tensorflow/tfjs-node': (dir) => addonsUnder(join(dir, 'lib')),
  '@tensorflow/tfjs-node-gpu': (dir) => addonsUnder(join(dir, 'lib')),
};

/** A package's folder; packages whose `exports` hide package.json (sharp) are found from their entry point. */
function packageDir(requireFrom: NodeJS.Require, pkg: string, manifest = '/package.json'): string | null {
  try {
    return dirname(requireFrom.resolve(`${pkg}${manifest}`));
  } catch {
    try {
      for (let dir = dirname(requireFrom.resolve(pkg)); dir !== dirname(dir); dir = dirname(dir)) {
        const file = join(dir, 'package.json');
        if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === pkg) return dir;
      }
    } catch {}
    return null;
  }
}

function existing(files: string[]): string[] {
  return files.filter((f) => existsSync(f));
}

/** `.node` files up to three folders down (tfjs-node keeps its binding in lib/napi-v<N>/). */
function addonsUnder(dir: string, depth = 3): string[] {
  if (depth < 0 || !existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return addonsUnder(path, depth - 1);
    return e.name.endsWith('.node') ? [path] : [];
  });
}
