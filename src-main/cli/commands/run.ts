import { CliUsageError, type Command } from '../command';
import { describeExternal } from './models';
import { averagingText, targetsText } from '../../../src-shared/targets-text';

export function runIdArg(positionals: string[]): number {
  const raw = positionals[0];
  const id = Number(raw);
  if (!raw || !Number.isInteger(id) || id <= 0) throw new CliUsageError(`Give a run id (a positive whole number)${raw ? `, not "${raw}"` : ''}. \`fer runs\` lists them.`);
  return id;
}

export const runCommand: Command = {
  name: 'run',
  summary: "Show one run: config, per-epoch metrics, checkpoints, backend and why",
  usage: 'fer run ID [--json]',
  allowPositionals: true,
  async run(ctx, positionals) {
    const detail = await ctx.call('runs.get', { runId: runIdArg(positionals) });
    const r = detail.run;
    ctx.print(`run ${r.id} — ${r.name}`);
    ctx.print(`status   ${r.status}${r.error ? ` (${r.error})` : ''}`);
    ctx.print(`model    ${r.model} on ${r.datasetName}, seed ${r.seed}${r.groupId ? `, group ${r.groupId}` : ''}`);
    ctx.print(`backend  ${r.backend ?? '-'}${r.backendReason ? ` — ${r.backendReason}` : ''}`);
    const c = detail.config;
    const targets = c ? [targetsText(c), averagingText(c) && `weights ${averagingText(c)}`].filter(Boolean).join(', ') : '';
    if (c) ctx.print(`config   ${c.optimizer} lr ${c.lr} (${c.schedule.kind}), batch ${c.batch}, epochs ${c.epochs}, augment ${c.augment ? 'on' : 'off'}, class weights ${c.classWeights ? 'on' : 'off'}${targets ? `, ${targets}` : ''}`);
    if (c?.revision != null) ctx.print(`data     revision ${c.revision} of the dataset (\`fer revision show ${c.revision}\` lists its changes)`);
    if (detail.external) ctx.print(`external ${describeExternal(detail.external)}`);
    if (detail.epochs.length) {
      ctx.print('epoch    loss     acc  val_loss  val_acc        lr    img/s      s');
      for (const e of detail.epochs) {
        const f = (v: number | null, d = 4) => (v === null || !Number.isFinite(v) ? '-' : v.toFixed(d));
        ctx.print(`${String(e.epoch).padStart(5)} ${f(e.loss).padStart(7)} ${f(e.acc).padStart(7)} ${f(e.valLoss).padStart(9)} ${f(e.valAcc).padStart(8)} ${e.lr.toPrecision(3).padStart(9)} ${f(e.imgPerSec, 1).padStart(8)} ${f(e.seconds, 1).padStart(6)}`);
      }
    }
    for (const k of detail.checkpoints) ctx.print(`checkpoint ${k.kind.padEnd(4)} epoch ${k.epoch}: ${k.path}`);
    return detail;
  },
};
