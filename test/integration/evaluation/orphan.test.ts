import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tsxLoader } from '../../../src-main/child-entry';
import { DEFAULT_TTA, MAX_TTA_VIEWS } from '../../../src-main/engine/tta';
import type { EvalJob } from '../../../src-main/evaluation/compute';
import type { WorkerRequest } from '../../../src-main/evaluation/worker-protocol';
import { insertRun, saveStandInCheckpoint } from '../../helpers/evaluations';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempDir, tempWorkbench } from '../../helpers/workbench';
import { alive } from '../../helpers/pids';

/**
 * A stand-in for `fer eval`: forks the evaluation worker as runEvalJob does, hands it a job, and prints the
 * worker's pid once the worker reports progress (it is then inside the job). It never exits by itself.
 */
const PARENT = `
import { fork } from 'node:child_process';
const [file, execArgv, request] = process.argv.slice(2);
const child = fork(file, [], { execArgv: JSON.parse(execArgv), serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
child.stderr.resume();
let told = false;
child.on('message', (m) => {
  if (m.type === 'progress' && !told) { told = true; console.log('worker ' + child.pid); }
  if (m.type !== 'progress') console.log('worker answered ' + m.type);
});
child.send(JSON.parse(request));
setInterval(() => {}, 1000);
`;

let t: ReturnType<typeof tempWorkbench>;
let scratch: ReturnType<typeof tempDir>;
let job: EvalJob;
const started: ChildProcess[] = [];
const strays: number[] = [];

beforeAll(async () => {
  await tf.setBackend('cpu');
  t = tempWorkbench();
  scratch = tempDir();
  const ds = await createSyntheticDataset(t.wb, { perClass: 300, seed: 4 });
  const runId = insertRun(t.wb, ds.id, 1, false, 'orphan');
  // Untrained: what it predicts does not matter, only that the job is long (~2,000 faces one at a time, 65
  // views each: many seconds), so an orphan that runs on is still there when the test looks.
  await saveStandInCheckpoint(t.wb, runId);
  job = { runId, datasetId: ds.id, split: 'Training', checkpoint: 'best', tta: { ...DEFAULT_TTA, augmented: MAX_TTA_VIEWS, flip: true }, batch: 1 };
}, 120_000);

afterAll(async () => {
  for (const p of started) p.kill('SIGKILL');
  for (const pid of strays) if (alive(pid)) process.kill(pid, 'SIGKILL');
  await t.cleanup();
  scratch.cleanup();
});

describe('the evaluation worker', () => {
  it('exits when its parent is killed mid-job, instead of running on under PID 1', async () => {
    const parentFile = join(scratch.dir, 'parent.mjs');
    writeFileSync(parentFile, PARENT);
    const worker = fileURLToPath(new URL('../../../src-main/evaluation/worker.ts', import.meta.url));
    const request: WorkerRequest = { type: 'job', home: t.wb.home.root, job };
    const parent = spawn(process.execPath, [parentFile, worker, JSON.stringify(['--import', tsxLoader()]), JSON.stringify(request)], { stdio: ['ignore', 'pipe', 'inherit'] });
    started.push(parent);
    let out = '';
    const pid = await new Promise<number>((resolve, reject) => {
      parent.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /worker (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
        if (/answered/.test(out)) reject(new Error(`the worker finished before the parent was killed: ${out}`));
      });
      parent.on('exit', () => reject(new Error(`parent exited early: ${out}`)));
    });
    strays.push(pid);
    expect(alive(pid)).toBe(true);
    parent.kill('SIGKILL');
    const deadline = Date.now() + 3000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(alive(pid), `worker ${pid} still running 3 s after its parent was killed`).toBe(false);
  });
});
