import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PYTHON = '/usr/bin/python3';

/** The shared folder sits next to the repo (<x>/main and <x>/shared); FER_SHARED overrides. */
export function sharedDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.FER_SHARED ? resolve(env.FER_SHARED) : resolve(REPO_ROOT, '..', 'shared');
}

export interface PeerResult {
  engine: string;
  version?: string;
  threads: number;
  batch: number;
  train_img_per_s: number;
  eval_img_per_s: number;
}

/** Runs the PyTorch peer when python3 can import torch; otherwise says why not. */
export function runPeer(opts: { threads: number; batch: number; images: number }): { peer: PeerResult | null; note?: string } {
  const script = join(sharedDir(), 'bench', 'torch_peer.py');
  if (!existsSync(script)) return { peer: null, note: `peer skipped: ${script} not found (set FER_SHARED to the shared folder).` };
  if (!existsSync(PYTHON)) return { peer: null, note: `peer skipped: ${PYTHON} not found.` };
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return { peer: null, note: 'peer skipped: python3 cannot import torch (apt-get install python3-torch).' };
  const res = spawnSync(PYTHON, [script, '--threads', String(opts.threads), '--batch', String(opts.batch), '--images', String(opts.images)], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  const last = res.stdout?.trim().split('\n').pop() ?? '';
  try {
    return { peer: JSON.parse(last) as PeerResult };
  } catch {
    return { peer: null, note: `peer failed (exit ${res.status}): ${(res.stderr || last).trim().split('\n').pop()}` };
  }
}
