import { EMOTIONS } from '../../../src-shared/labels';
import { CliUsageError, numberOpt, type Command } from '../command';
import { parseId, pct } from './eval-shared';

export const calibrationCommand: Command = {
  name: 'calibration',
  summary: 'Expected calibration error and reliability-diagram bins, overall and per class',
  usage: 'fer calibration EVAL [--bins N] [--json]',
  options: { bins: { type: 'string' } },
  allowPositionals: true,
  async run(ctx, positionals, values) {
    if (positionals.length !== 1) throw new CliUsageError('fer calibration takes exactly one EVAL id.');
    const rep = await ctx.call('eval.calibration', { evaluationId: parseId(positionals[0], 'EVAL'), bins: numberOpt(values, 'bins') ?? 10 });
    ctx.print(`ECE (top label): ${rep.ece.toFixed(4)}`);
    ctx.print(`${'bin'.padEnd(11)} ${'count'.padStart(6)} ${'confidence'.padStart(10)} ${'accuracy'.padStart(9)}`);
    for (const b of rep.bins) ctx.print(`${`${b.lower.toFixed(2)}–${b.upper.toFixed(2)}`.padEnd(11)} ${String(b.count).padStart(6)} ${(b.count ? pct(b.confidence) : '–').padStart(10)} ${(b.count ? pct(b.accuracy) : '–').padStart(9)}`);
    ctx.print('');
    ctx.print('per class (one-vs-rest): ' + rep.perClass.map((c) => `${EMOTIONS[c.label]} ${c.ece.toFixed(4)}`).join(', '));
    return rep;
  },
};
