import { EMOTIONS } from '../../../src-shared/labels';
import { CliUsageError, numberOpt, stringOpt, type Command } from '../command';

export const synthCommand: Command = {
  name: 'synth',
  summary: 'Write a deterministic synthetic FER2013 stand-in (fer2013.csv or train/ and test/ image folders)',
  usage: 'fer synth --out DIR [--format csv|folders] [--per-class N] [--seed S] [--json]',
  options: { out: { type: 'string' }, format: { type: 'string', default: 'csv' }, 'per-class': { type: 'string', default: '100' }, seed: { type: 'string', default: '1' } },
  async run(ctx, _positionals, values) {
    const out = stringOpt(values, 'out');
    if (!out) throw new CliUsageError('fer synth needs --out DIR.');
    const format = stringOpt(values, 'format');
    if (format !== 'csv' && format !== 'folders') throw new CliUsageError(`--format must be csv or folders, got "${format}".`);
    const started = Date.now();
    const perClass = numberOpt(values, 'per-class');
    if (perClass === undefined) throw new CliUsageError('fer synth needs --per-class N.');
    const result = await ctx.call('datasets.synth', { out, format, perClass, seed: numberOpt(values, 'seed') });
    const total = result.counts.reduce((a, s) => a + s.total, 0);
    ctx.print(`wrote ${total} synthetic faces to ${result.path} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    ctx.print(`${'split'.padEnd(12)} ${EMOTIONS.map((e) => e.padStart(8)).join(' ')}    total`);
    for (const s of result.counts) ctx.print(`${s.split.padEnd(12)} ${s.perClass.map((c) => String(c).padStart(8)).join(' ')} ${String(s.total).padStart(8)}`);
    return result;
  },
};
