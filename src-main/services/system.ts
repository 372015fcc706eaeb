import { createRequire } from 'node:module';
import { cpus, platform, arch } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { NPM_BACKBONES, type DoctorReport } from '../../src-shared/contract';
import { systemInvoke } from '../../src-shared/contract/system';
import { AppError } from '../../src-shared/errors';
import { sqliteVersion } from '../store/db';
import type { Workbench } from '../context';
import { chooseBackend, wasmThreadsForDoctor } from '../engine/backend';
import { featureStoreEnabled, listFeatureStore } from '../engine/feature-store';
import { envSwitchStates, patchStates } from '../engine/patches';
import { humanModelsStatus } from '../engine/weights/human-models';
import { nativeAddonReports } from '../native-addons';
import type { HandlersFor } from './types';

// Not named `require`: the electron-vite ESM bundle declares its own at the top of the chunk.
const requireHere = createRequire(import.meta.url);

export function appVersion(): string {
  return (requireHere('../../package.json') as { version: string }).version;
}

function electronStatus(): DoctorReport['electron'] {
  try {
    const pkg = requireHere('electron/package.json') as { version: string };
    // The electron package's main export is the binary's path; it throws when the download failed.
    const binary = requireHere('electron') as unknown;
    if (typeof binary === 'string') return { present: true, version: pkg.version, reason: `Electron ${pkg.version} binary at ${binary}.` };
    return { present: false, version: pkg.version, reason: 'The electron package is installed but its binary is not.' };
  } catch (err) {
    const msg = (err as Error).message;
    if (/Cannot find module 'electron/.test(msg)) {
      return { present: false, reason: 'electron is not installed: it is an optional dependency whose install step downloads the Electron binary, which failed or was skipped here. The browser bridge (npm run web) serves the same app.' };
    }
    return { present: false, reason: `Electron's binary is missing: ${msg.split('\n')[0]}` };
  }
}

function featureStoreSize(dir: string): DoctorReport['featureStore'] {
  const keys = listFeatureStore(dir);
  return { dir, keys: keys.length, bytes: keys.reduce((a, k) => a + k.bytes, 0), enabled: featureStoreEnabled() };
}

export async function doctor(wb: Workbench): Promise<DoctorReport> {
  const choice = await chooseBackend(null);
  const sqlite = sqliteVersion(wb.db);
  return {
    appVersion: appVersion(),
    node: process.versions.node,
    sqlite,
    tfjs: tf.version.tfjs,
    platform: `${platform()}-${arch()}`,
    cpus: cpus().length,
    home: wb.home.root,
    electron: electronStatus(),
    backends: choice.probes,
    chosen: { name: choice.name, reason: choice.reason },
    wasmThreads: await wasmThreadsForDoctor(),
    patches: patchStates(choice.name),
    switches: envSwitchStates(),
    nativeAddons: nativeAddonReports(),
    backbones: NPM_BACKBONES.map((b) => {
      const s = humanModelsStatus();
      return { model: b.model, package: b.package, present: s.present, reason: s.reason };
    }),
    featureStore: featureStoreSize(wb.home.featureStore),
  };
}

export const systemHandlers: HandlersFor<typeof systemInvoke> = {
  'system.doctor': (_args, wb) => doctor(wb),
  'system.pickPath': function noNativeDialog() {
    throw new AppError('UNSUPPORTED', 'There is no native file dialog outside the desktop app: type the path instead.');
  },
  'system.ping': (args) => ({ pong: true, ...(args.echo === undefined ? {} : { echo: args.echo }), at: new Date().toISOString() }),
};
