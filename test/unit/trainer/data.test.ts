import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveWeights, resolveWeightsFile } from '../../../src-main/trainer/data';
import { tempWorkbench } from '../../helpers/workbench';

describe('config.weights resolution', () => {
  const t = tempWorkbench();
  afterAll(() => t.cleanup());
  const id = 'vgg16-keras-0123456789ab';
  const stored = join(t.wb.home.weights, id);
  mkdirSync(stored, { recursive: true });
  t.wb.db
    .prepare('INSERT INTO weights (id, name, architecture, format, path, sha256, meta_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    .run(id, 'imagenet-vgg16', 'vgg16', 'keras-h5-weights', stored, '0123456789ab'.padEnd(64, '0'), '{"variant":"keras"}', '2026-01-01');

  it('finds imported weights by id and by the name they were imported under (fer train --weights NAME)', () => {
    expect(resolveWeightsFile(t.wb, id)).toBe(stored);
    expect(resolveWeightsFile(t.wb, 'imagenet-vgg16')).toBe(stored);
    expect(resolveWeights(t.wb, 'imagenet-vgg16')).toEqual({ id, file: stored });
  });

  it('passes a plain file path through, and names the field for anything else', () => {
    expect(resolveWeightsFile(t.wb, null)).toBeNull();
    expect(resolveWeights(t.wb, stored)).toEqual({ id: null, file: stored });
    expect(() => resolveWeightsFile(t.wb, 'imagenet-vgg19')).toThrow(expect.objectContaining({ code: 'NOT_FOUND', message: expect.stringMatching(/config\.weights.*"imagenet-vgg19"/) }));
  });
});
