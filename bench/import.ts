/**
 * Import benchmark: synthesises a FER2013-sized CSV (35,887 rows in Table 1's proportions) in a temp folder and
 * times `importDataset` on it in a child process, so the peak RSS measured is the import's own and not the
 * bench harness's (which may have tfjs loaded). Run alone: `npx tsx bench/import.ts`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openWorkbench } from '../src-main/context';
import { importDataset } from '../src-main/data/import';
import { TABLE1_TEST, TABLE1_TRAINING, writeSynthCsv } from '../src-main/data/synth';

export interface ImportBench {
  import_csv_s: number;
  import_rows: number;
  import_peak_rss_mb: number;
}

const SELF = fileURLToPath(import.meta.url);

export async function benchImport(): Promise<ImportBench> {
  const dir = mkdtempSync(join(tmpdir(), 'fer-bench-import-'));
  try {
    const csv = join(dir, 'fer2013.csv');
    writeSynthCsv(csv, { perClass: 1, seed: 2013, counts: [[...TABLE1_TRAINING], [...TABLE1_TEST], [...TABLE1_TEST]] });
    const home = join(dir, 'home');
    mkdirSync(home);
    // cwd at the repo root so `--import tsx` resolves from its node_modules whoever calls this.
    const r = spawnSync(process.execPath, ['--import', 'tsx', SELF, '--child', csv, home], { encoding: 'utf8', timeout: 300_000, cwd: dirname(dirname(SELF)) });
    if (r.status !== 0) throw new Error(`import bench child failed (${r.status}): ${r.stderr}`);
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ImportBench & { bytes: number };
    process.stderr.write(
      `import: ${result.import_rows} rows (${(result.bytes / 1e6).toFixed(0)} MB CSV) in ${result.import_csv_s} s, peak RSS ${result.import_peak_rss_mb} MB\n`,
    );
    return { import_csv_s: result.import_csv_s, import_rows: result.import_rows, import_peak_rss_mb: result.import_peak_rss_mb };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function child(csv: string, home: string): Promise<void> {
  const wb = openWorkbench({ flag: home });
  const started = process.hrtime.bigint();
  const summary = await importDataset(wb, { path: csv, name: 'bench' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await wb.close();
  // maxRSS is in KiB and covers the whole child: Node itself, SQLite and the import.
  const peak = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ import_csv_s: Number(seconds.toFixed(3)), import_rows: summary.sampleCount, import_peak_rss_mb: Math.round(peak), bytes: statSync(csv).size }));
}

if (process.argv[1] === SELF) {
  if (process.argv[2] === '--child') await child(process.argv[3]!, process.argv[4]!);
  else console.log(JSON.stringify(await benchImport()));
}
