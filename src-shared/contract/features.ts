import { z } from 'zod';
import { invoke, returns } from './define';

/**
 * The frozen-base feature store (src-main/engine/feature-store.ts): a base's features of each face, kept in the
 * home so later runs with the same frozen base reuse them. One key per base (model, input, weights, backend…).
 */
export interface FeatureStoreEntry {
  /** 16 hex digits: the folder under <home>/cache/features. */
  key: string;
  /** The key in one line (model, features, input, base layers, weights hash, backend), or why it cannot be read. */
  summary: string;
  /** One file per dataset split; rows: null when the header cannot be read. */
  files: { datasetId: number; split: string; rows: number | null; bytes: number }[];
  /** The folder's size on disk, key.json included. */
  bytes: number;
}

export const featuresInvoke = {
  'features.list': invoke(z.strictObject({}), returns<FeatureStoreEntry[]>()),
  /** Deletes one key's features, or the whole store with `all` (exactly one of the two). */
  'features.clear': invoke(
    z.strictObject({ key: z.string().regex(/^[0-9a-f]{16}$/, 'a key is 16 hex digits, as fer features list shows').optional(), all: z.boolean().optional() }),
    returns<{ cleared: string[] }>(),
  ),
};
