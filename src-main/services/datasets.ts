import { resolve } from 'node:path';
import { datasetsInvoke } from '../../src-shared/contract/datasets';
import { importDataset } from '../data/import';
import { deleteDataset, listDatasets } from '../data/packed-store';
import { samplePage } from '../data/samples';
import { datasetStats } from '../data/stats';
import { writeSynthCsv, writeSynthFolders } from '../data/synth';
import type { HandlersFor } from './types';

export const datasetsHandlers: HandlersFor<typeof datasetsInvoke> = {
  'datasets.list': (_args, wb) => listDatasets(wb),
  'datasets.import': (args, wb) => importDataset(wb, args.importId === undefined ? { path: args.path, name: args.name } : { path: args.path, name: args.name, importId: args.importId }),
  'datasets.stats': (args, wb) => datasetStats(wb, args.dataset),
  'datasets.samples': (args, wb) => samplePage(wb, args),
  'datasets.delete': (args, wb) => {
    deleteDataset(wb, args.dataset);
    return { deleted: true as const };
  },
  'datasets.synth': async (args) => {
    const out = resolve(args.out);
    const options = { perClass: args.perClass, seed: args.seed };
    if (args.format === 'csv') {
      const path = `${out}/fer2013.csv`;
      return { path, counts: writeSynthCsv(path, options) };
    }
    return { path: out, counts: await writeSynthFolders(out, options) };
  },
};
