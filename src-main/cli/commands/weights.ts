import { TRANSFER_ARCHITECTURES, type TransferArchitecture, type WeightsInfo } from '../../../src-shared/contract/weights';
import { CliUsageError, stringOpt, type Command } from '../command';

const USAGE = [
  'fer weights import FILE --name NAME [--architecture resnet50|senet50|vgg16]',
  'fer weights list',
  'fer weights delete ID',
  '',
  'FILE: a Keras .h5 (full model or weights only: keras-vggface notop files, Keras Applications ImageNet',
  'files) or a tfjs model.json with its shards. Every layer and shape is checked before anything is stored.',
].join('\n');

const isArchitecture = (a: string): a is TransferArchitecture => (TRANSFER_ARCHITECTURES as readonly string[]).includes(a);

function describe(w: WeightsInfo): string {
  return `${w.id}  "${w.name}"  ${w.architecture}/${w.variant} (${w.normalize} input)  ${w.layers} layers, ${w.params.toLocaleString('en-US')} values  from ${w.format}`;
}

export const weightsCommand: Command = {
  name: 'weights',
  summary: 'Import pretrained ResNet50/SeNet50/VGG16 weights (Keras .h5, tfjs) and list them',
  usage: USAGE,
  allowPositionals: true,
  options: {
    name: { type: 'string' },
    architecture: { type: 'string' },
  },
  async run(ctx, positionals, values) {
    const [sub, ...rest] = positionals;
    if (sub === 'import') {
      const file = rest[0];
      const name = stringOpt(values, 'name');
      if (!file || rest.length > 1) throw new CliUsageError(`fer weights import takes one FILE.\n${USAGE}`);
      if (!name) throw new CliUsageError('fer weights import needs --name NAME.');
      const architecture = stringOpt(values, 'architecture');
      if (architecture !== undefined && !isArchitecture(architecture)) {
        throw new CliUsageError(`--architecture must be one of ${TRANSFER_ARCHITECTURES.join(', ')}, got "${architecture}".`);
      }
      ctx.note(`reading ${file} …`);
      const info = await ctx.call('weights.import', { path: file, name, ...(architecture ? { architecture } : {}) });
      ctx.print(`${info.existed ? 'already imported' : 'imported'}: ${describe(info)}`);
      if (info.unmatched.length) {
        const shown = info.unmatched.slice(0, 8).join(', ');
        ctx.print(`ignored ${info.unmatched.length} layer(s) the model does not use: ${shown}${info.unmatched.length > 8 ? ', …' : ''}`);
      }
      ctx.print(`use it with: fer train --model ${info.architecture} --weights ${info.id}`);
      return info;
    }
    if (sub === 'list') {
      const list = await ctx.call('weights.list', {});
      if (!list.length) ctx.print('no weights imported yet (fer weights import FILE --name NAME)');
      for (const w of list) ctx.print(describe(w));
      return list;
    }
    if (sub === 'delete') {
      if (!rest[0]) throw new CliUsageError('fer weights delete needs an ID.');
      return ctx.call('weights.delete', { id: rest[0] });
    }
    throw new CliUsageError(`Unknown subcommand "${sub ?? ''}".\n${USAGE}`);
  },
};
