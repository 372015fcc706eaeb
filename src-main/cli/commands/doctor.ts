import { adapterFacts } from '../../../src-shared/contract';
import type { Command } from '../command';

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'Show versions, usable tfjs backends, Electron presence, and why anything is missing',
  usage: 'fer doctor [--json]',
  async run(ctx) {
    const report = await ctx.call('system.doctor', {});
    ctx.print(`FER Workbench ${report.appVersion}`);
    ctx.print(`node ${report.node}   sqlite ${report.sqlite}   tfjs ${report.tfjs}   ${report.platform} (${report.cpus} cpus)`);
    ctx.print(`home     ${report.home}`);
    ctx.print(`electron ${report.electron.present ? 'present' : 'absent'} — ${report.electron.reason}`);
    ctx.print('backends:');
    for (const b of report.backends) {
      ctx.print(`  ${b.usable ? (b.forcedOnly ? '~' : '✓') : '✗'} ${b.name.padEnd(15)} ${b.reason}`);
      // webgpu: the adapter Dawn offers, field by field (~ above: usable only when forced).
      if (b.adapter) for (const [k, v] of adapterFacts(b.adapter)) ctx.print(`      ${`${k}:`.padEnd(14)} ${v}`);
    }
    ctx.print(`training would use: ${report.chosen.name} — ${report.chosen.reason}`);
    ctx.print(`tfjs patches on ${report.chosen.name}:`);
    for (const p of report.patches) ctx.print(`  ${p.active ? '✓' : '✗'} ${p.name.padEnd(26)} ${p.reason} Replaces ${p.replaces}.`);
    const set = report.switches.filter((s) => s.value !== null);
    ctx.print(`FER_* switches set: ${set.length ? set.map((s) => `${s.name}=${s.value}`).join(' ') : 'none'} (of ${report.switches.map((s) => s.name).join(', ')})`);
    ctx.print('native addons:');
    for (const a of report.nativeAddons) ctx.print(`  ${a.abi.padEnd(8)} ${`${a.package} ${a.version ?? ''}`.padEnd(24)} ${a.detail}`);
    ctx.print('face backbones (npm):');
    for (const b of report.backbones) ctx.print(`  ${b.present ? '✓' : '✗'} ${b.model.padEnd(15)} ${b.reason}`);
    const fs = report.featureStore;
    ctx.print(`feature store: ${fs.keys} key(s), ${(fs.bytes / 2 ** 20).toFixed(1)} MiB in ${fs.dir}${fs.enabled ? '' : ' (off: FER_FEATURE_STORE=off)'} — fer features list`);
    return report;
  },
};
