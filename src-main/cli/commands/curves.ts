import { CURVE_METRICS, type CurveMetric, curvesSvg, curveRunOf } from '../../../src-shared/curves-svg';
import { AppError } from '../../../src-shared/errors';
import { writeFileAtomic } from '../../write-file';
import { CliUsageError, stringOpt, type Command } from '../command';

export const curvesCommand: Command = {
  name: 'curves',
  summary: 'Training curves of runs as one SVG (accuracy in % and loss per epoch, training dashed, validation solid, best epoch marked)',
  usage: 'fer curves RUN... [--out FILE.svg] [--metric acc|loss|both] [--json]\n  One to seven runs. Without --out the SVG goes to stdout. The same SVG as the run page\'s "Download SVG".',
  options: { out: { type: 'string' }, metric: { type: 'string' } },
  allowPositionals: true,
  async run(ctx, positionals, values) {
    const metric = stringOpt(values, 'metric') ?? 'both';
    if (!(CURVE_METRICS as readonly string[]).includes(metric)) throw new CliUsageError(`--metric must be ${CURVE_METRICS.join(', ')}; got "${metric}".`);
    const ids = runIds(positionals);
    const out = stringOpt(values, 'out');
    if (out === '') throw new CliUsageError('--out is empty: give a file name, or leave --out out to write the SVG to stdout.');
    const details = [];
    for (const runId of ids) details.push(await ctx.call('runs.get', { runId }));
    for (const d of details) {
      if (d.epochs.length > 0) continue;
      const why = d.external ? 'it is a model imported from elsewhere, not trained here, so it has no stored epochs' : `its status is ${d.run.status} and no epoch has finished yet`;
      throw new AppError('INVALID_INPUT', `Run ${d.run.id} (${d.run.name}) has no training curves: ${why}. Nothing was written.`);
    }
    const svg = curvesSvg(details.map(curveRunOf), metric as CurveMetric);
    // Temp file and rename: a failed write (missing folder, full disk) leaves no half-written figure.
    const path = out === undefined ? null : writeFileAtomic(out, svg);
    if (path) ctx.note(`wrote ${path}`);
    else if (!ctx.json) process.stdout.write(svg);
    return { runs: ids, metric, path, svg };
  },
};

function runIds(positionals: string[]): number[] {
  if (positionals.length === 0) throw new CliUsageError('Give one or more run ids. `fer runs` lists them.');
  const ids = positionals.map((raw) => {
    const id = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(id) || id <= 0) throw new CliUsageError(`"${raw}" is not a run id (a positive whole number). \`fer runs\` lists them.`);
    return id;
  });
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice !== undefined) throw new CliUsageError(`Run ${twice} is given twice; each run is one line per metric.`);
  return ids;
}
