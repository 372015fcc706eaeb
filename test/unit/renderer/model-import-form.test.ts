import { expect, it } from 'vitest';
import { modelsInvoke } from '../../../src-shared/contract/models';
import { INPUT_SIZE_LIMITS, defaultImportForm, toImportArgs, validateImport } from '../../../src-renderer/lib/model-import-form';

/** The Runs view's import form speaks the contract: what it sends parses, and what it refuses the contract refuses. */
it('sends the declared preprocessing and label order in the contract’s shape', () => {
  const f = { ...defaultImportForm(), path: ' /m/fer.h5 ', name: 'kaggle', dataset: 2, inputSize: 64, channels: 3 as const, scale: 'meanstd' as const, mean: '129.5, 120', std: '64', labels: 'alphabetical' as const };
  expect(validateImport(f)).toEqual({});
  expect(modelsInvoke['models.import'].args.parse(toImportArgs(f))).toEqual({
    path: '/m/fer.h5',
    name: 'kaggle',
    dataset: 2,
    preprocess: { inputSize: 64, channels: 3, scale: 'meanstd', mean: [129.5, 120], std: [64], labels: ['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad', 'surprise'] },
  });
  // Mean/std only travel with 'meanstd'.
  expect(toImportArgs({ ...f, scale: 'minus1to1' }).preprocess).toMatchObject({ mean: null, std: null });
});

it('names the field the contract refuses', () => {
  expect(INPUT_SIZE_LIMITS).toEqual({ min: 8, max: 512 });
  const ok = { ...defaultImportForm(), path: '/m.h5', name: 'n', dataset: 1 };
  expect(validateImport({ ...ok, dataset: null })).toEqual({ dataset: expect.stringMatching(/dataset/) });
  expect(Object.keys(validateImport({ ...ok, name: '' }))).toEqual(['name']);
  expect(Object.keys(validateImport({ ...ok, inputSize: 600 }))).toEqual(['inputSize']);
  expect(Object.keys(validateImport({ ...ok, scale: 'meanstd', std: '0' }))).toEqual(['std']);
  expect(Object.keys(validateImport({ ...ok, labels: 'custom', customLabels: 'angry,happy,joy' }))).toEqual(['labels']);
});
