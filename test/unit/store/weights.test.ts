import { afterAll, describe, expect, it } from 'vitest';
import { deleteWeightsRow, listStoredWeights, upsertWeights, weightsByIdOrName } from '../../../src-main/store/weights';
import { tempWorkbench } from '../../helpers/workbench';

describe('the weights repository', () => {
  const t = tempWorkbench();
  afterAll(() => t.cleanup());
  const db = t.wb.db;
  const meta = { variant: 'keras' as const, sourceFile: '/src/w.h5', layers: 2, params: 3, unmatched: [] };
  const row = (id: string, name: string) => ({ id, name, architecture: 'vgg16', format: 'keras-h5-weights' as const, path: `/w/${id}`, sha256: id.padEnd(64, '0'), meta });

  it('looks an import up by id before name, so a name spelled like another import’s id finds that import', () => {
    upsertWeights(db, row('vgg16-keras-aaaaaaaaaaaa', 'first'));
    upsertWeights(db, row('vgg16-keras-bbbbbbbbbbbb', 'vgg16-keras-aaaaaaaaaaaa'));
    expect(weightsByIdOrName(db, 'vgg16-keras-aaaaaaaaaaaa')).toMatchObject({ name: 'first', meta });
    expect(weightsByIdOrName(db, 'first')!.id).toBe('vgg16-keras-aaaaaaaaaaaa');
    expect(weightsByIdOrName(db, 'nothing')).toBeUndefined();
  });

  it('replaces the row of the same id on a second import, and deletes by id', () => {
    upsertWeights(db, row('vgg16-keras-aaaaaaaaaaaa', 'renamed'));
    expect(listStoredWeights(db).map((w) => w.name).sort()).toEqual(['renamed', 'vgg16-keras-aaaaaaaaaaaa']);
    deleteWeightsRow(db, 'vgg16-keras-aaaaaaaaaaaa');
    expect(listStoredWeights(db).map((w) => w.id)).toEqual(['vgg16-keras-bbbbbbbbbbbb']);
  });
});
