import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { TABLE1_TEST, TABLE1_TRAINING, writeSynthCsv } from './src-main/data/synth';
import { openWorkbench } from './src-main/context';
import { importDataset } from './src-main/data/import';
const csv = '/tmp/bench-fer2013.csv';
if (!existsSync(csv)) writeSynthCsv(csv, { perClass: 1, seed: 2013, counts: [[...TABLE1_TRAINING], [...TABLE1_TEST], [...TABLE1_TEST]] });
for (let k = 0; k < 2; k++) {
  const home = mkdtempSync('/tmp/fer-prof-');
  const wb = openWorkbench({ flag: home });
  const t0 = performance.now();
  let firstCommit = 0;
  wb.events.subscribe((n, p: any) => { if (p.phase === 'committing') firstCommit = performance.now(); });
  await importDataset(wb, { path: csv, name: 'b' });
  const t1 = performance.now();
  console.log('total', ((t1 - t0) / 1000).toFixed(2), 'read+parse', ((firstCommit - t0) / 1000).toFixed(2), 'commit', ((t1 - firstCommit) / 1000).toFixed(2));
  await wb.close();
}
