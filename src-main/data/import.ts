import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { datasetNameSchema, type DatasetSummary, type IgnoredFolder, type ImportProgress } from '../../src-shared/contract/datasets';
import { AppError } from '../../src-shared/errors';
import type { Workbench } from '../context';
import { diskFullReason, isDiskFull } from '../disk-full';
import { datasetIdByName } from '../store/datasets';
import { readFerCsv } from './csv-import';
import { readFerFolders } from './folder-import';
import { resolveDataset, summarize } from './packed-store';
import { PackedWriter, sweepStaleImports } from './packed-writer';

export interface ImportRequest {
  path: string;
  name: string;
  /** Tags this import's `import.progress` events so a UI can follow several. */
  importId?: string;
  /** Minimum time between progress events (the last one always goes out). */
  progressEveryMs?: number;
}

/**
 * Imports a FER2013 CSV file or image-folder tree as a new dataset: everything is written under `home.tmp`
 * and committed at the end in one transaction (see PackedWriter), so any failure leaves nothing behind.
 */
export async function importDataset(wb: Workbench, req: ImportRequest): Promise<DatasetSummary> {
  const path = resolve(req.path);
  // The contract checks this for every transport; in-process callers (tests, scripts) come through here.
  const named = datasetNameSchema.safeParse(req.name);
  if (!named.success) throw new AppError('BAD_ARGS', `Dataset name ${JSON.stringify(req.name)}: ${named.error.issues.map((i) => i.message).join('; ')}.`);
  const name = named.data;
  const importId = req.importId ?? `import-${Date.now()}`;
  if (!existsSync(path)) throw new AppError('NOT_FOUND', `${path} does not exist: give the path of a fer2013.csv file or of a folder with train/ and test/.`);
  const existing = datasetIdByName(wb.db, name);
  if (existing !== undefined) throw new AppError('ALREADY_EXISTS', `A dataset named "${name}" already exists (id ${existing}). Choose another --name, or delete the old one (fer datasets delete NAME, or the Datasets view).`);
  sweepStaleImports(wb);

  const isDir = statSync(path).isDirectory();
  const started = Date.now();
  const everyMs = req.progressEveryMs ?? 250;
  let last = 0;
  const emit = (phase: ImportProgress['phase'], done: number, total: number | null, force = false, message?: string) => {
    const now = Date.now();
    if (!force && now - last < everyMs) return;
    last = now;
    const secs = Math.max(1e-3, (now - started) / 1000);
    const payload: ImportProgress = { importId, name, phase, done, total, rowsPerSec: Math.round(done / secs) };
    if (message !== undefined) payload.message = message;
    wb.events.emit('import.progress', payload);
  };

  let writer: PackedWriter;
  try {
    writer = new PackedWriter(wb);
  } catch (err) {
    throw importError(wb, path, err);
  }
  try {
    emit('reading', 0, null, true);
    let converted = 0;
    let skipped = 0;
    let ignoredFolders: IgnoredFolder[] = [];
    if (isDir) {
      const r = await readFerFolders(path, writer, (done, total) => emit('reading', done, total));
      converted = r.converted;
      skipped = r.skipped;
      ignoredFolders = r.ignoredFolders;
    } else {
      await readFerCsv(path, writer, (rows, bytesRead, totalBytes) => {
        // Rows are unknown until the end; extrapolate from the bytes read so far.
        const total = totalBytes > 0 && bytesRead > 0 ? Math.max(rows, Math.round((rows * totalBytes) / bytesRead)) : null;
        emit('reading', rows, total);
      });
    }
    emit('committing', writer.count, writer.count, true);
    const id = writer.finish({ name, sourcePath: path, format: isDir ? 'folders' : 'csv', converted, skipped });
    emit('done', writer.count, writer.count, true);
    const summary = summarize(wb, resolveDataset(wb, id));
    if (isDir) summary.ignoredFolders = ignoredFolders;
    return summary;
  } catch (err) {
    writer.abort();
    const appErr = importError(wb, path, err);
    emit('failed', writer.count, null, true, appErr.message);
    throw appErr;
  }
}

function importError(wb: Workbench, path: string, err: unknown): AppError {
  if (err instanceof AppError) return err;
  // The pixel file fills the disk (ENOSPC) or the sample rows do (SQLITE_FULL); abort() has removed what it wrote.
  if (isDiskFull(err)) return new AppError('IO_ERROR', `Import of ${path} failed: ${diskFullReason(wb.home.root)}. Nothing was imported; free some space and import again.`, { path: wb.home.root });
  return new AppError('IO_ERROR', `Import of ${path} failed: ${(err as Error).message}`);
}
