import { ProgressBar } from '../progress';
import { CliUsageError, stringOpt, type Command } from '../command';

export const importCommand: Command = {
  name: 'import',
  summary: 'Import FER2013 as a dataset: a fer2013.csv file or a folder with train/<emotion>/ and test/<emotion>/',
  usage: 'fer import PATH --name NAME [--json]',
  options: { name: { type: 'string' } },
  allowPositionals: true,
  async run(ctx, positionals, values) {
    const [path, ...extra] = positionals;
    if (!path || extra.length) throw new CliUsageError('fer import takes exactly one PATH (a fer2013.csv file or a folder).');
    const name = stringOpt(values, 'name');
    if (!name) throw new CliUsageError('fer import needs --name NAME.');
    const importId = `cli-${process.pid}`;
    const bar = new ProgressBar(`importing ${name}`);
    const stop = ctx.workbench().events.subscribe((event, payload) => {
      if (event !== 'import.progress') return;
      const p = payload as { importId: string; phase: string; done: number; total: number | null; rowsPerSec: number };
      if (p.importId !== importId || p.phase !== 'reading' || p.done === 0) return;
      bar.update(p.done, p.total, `${p.rowsPerSec} rows/s`);
    });
    const started = Date.now();
    try {
      const summary = await ctx.call('datasets.import', { path, name, importId });
      const secs = (Date.now() - started) / 1000;
      bar.done(`imported ${summary.sampleCount} images in ${secs.toFixed(1)} s (${Math.round(summary.sampleCount / Math.max(secs, 1e-3))} rows/s)`);
      ctx.print(`dataset ${summary.id} "${summary.name}" (${summary.format}): ${summary.splits.map((s) => `${s.split} ${s.total}`).join(', ')}`);
      if (summary.format === 'folders') ctx.print(`converted to 48×48 grayscale: ${summary.converted}; non-image files skipped: ${summary.skipped}`);
      for (const f of summary.ignoredFolders ?? []) {
        ctx.note(`not imported: ${f.folder}/ (${f.files} file(s)): "${f.folder.split('/').pop()}" is not one of the seven FER2013 emotions`);
      }
      const stats = await ctx.call('datasets.stats', { dataset: summary.id });
      if (stats.duplicates.groups) {
        ctx.print(`exact duplicates: ${stats.duplicates.groups} group(s), ${stats.duplicates.crossSplit} across splits, ${stats.duplicates.conflictingLabels} with conflicting labels (fer dataset-stats ${summary.name})`);
      }
      return summary;
    } catch (err) {
      bar.done();
      throw err;
    } finally {
      stop();
    }
  },
};
