import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseWeightsId, type TransferArchitecture, type WeightsInfo, type WeightVariant } from '../../../src-shared/contract/weights';
import { AppError } from '../../../src-shared/errors';
import type { Workbench } from '../../context';
import { deleteWeightsRow, listStoredWeights, upsertWeights, weightsById, weightsByIdOrName, weightsByName, type StoredWeights, type WeightsMeta } from '../../store/weights';
import { variantDef } from '../models/blocks/architectures';
import { candidateLabel, detectArchitecture } from './detect';
import { assertComplete } from './mapping';
import { isStored, readWeightsFile, writeStored } from './stored';
import { countValues, type WeightSet } from './types';

/** Ids say what they are: `resnet50-vggface-3fa9c0d1e2b4` (architecture, layer naming, content hash). */
export function weightsId(architecture: TransferArchitecture, variant: WeightVariant, sha256: string): string {
  return `${architecture}-${variant}-${sha256.slice(0, 12)}`;
}

export { parseWeightsId };

function toInfo(row: StoredWeights): WeightsInfo {
  const { meta } = row;
  const architecture = row.architecture as TransferArchitecture;
  return {
    id: row.id,
    name: row.name,
    architecture,
    variant: meta.variant,
    normalize: variantDef(architecture, meta.variant).normalize,
    format: row.format,
    path: row.path,
    sha256: row.sha256,
    sourceFile: meta.sourceFile,
    layers: meta.layers,
    params: meta.params,
    unmatched: meta.unmatched,
    createdAt: row.createdAt,
  };
}

/** The files a weights source consists of: a tfjs model.json brings its shards. */
export function sourceFiles(path: string): string[] {
  if (path.toLowerCase().endsWith('.json') && !isStored(path)) {
    try {
      const json = JSON.parse(readFileSync(path, 'utf8')) as { weightsManifest?: { paths?: string[] }[] };
      const shards = (json.weightsManifest ?? []).flatMap((g) => g.paths ?? []).map((p) => join(dirname(path), p));
      return [path, ...shards.filter((s) => existsSync(s))];
    } catch {
      return [path];
    }
  }
  return [path];
}

export async function sha256Of(files: string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files) {
    await new Promise<void>((res, rej) => {
      createReadStream(file)
        .on('data', (chunk) => hash.update(chunk))
        .on('end', () => res())
        .on('error', (err) => rej(new AppError('IO_ERROR', `Cannot read ${file}: ${err.message}`)));
    });
  }
  return hash.digest('hex');
}

export function listWeights(wb: Workbench): WeightsInfo[] {
  return listStoredWeights(wb.db).map(toInfo);
}

/** By id or by name. */
export function getWeights(wb: Workbench, ref: string): WeightsInfo {
  const row = weightsByIdOrName(wb.db, ref);
  if (!row) throw new AppError('NOT_FOUND', `No imported weights with id or name "${ref}". Import them first: fer weights import FILE --name NAME.`);
  return toInfo(row);
}

export interface ImportRequest {
  path: string;
  name: string;
  architecture?: TransferArchitecture | undefined;
}

/**
 * Reads a weights file, works out (or checks) which architecture and layer naming it is for, checks every
 * layer and shape, and stores the layers the model uses once in the home, keyed by the file's content hash.
 */
export async function importWeights(wb: Workbench, req: ImportRequest): Promise<WeightsInfo> {
  const path = resolve(req.path);
  if (!existsSync(path)) throw new AppError('NOT_FOUND', `Weights file ${path} does not exist.`);
  if (statSync(path).isDirectory() && !isStored(path) && !existsSync(join(path, 'model.json'))) {
    throw new AppError('INVALID_INPUT', `${path} is a folder; pass a Keras .h5 file or a tfjs model.json.`);
  }
  const files = statSync(path).isDirectory() ? sourceFiles(existsSync(join(path, 'model.json')) ? join(path, 'model.json') : path) : sourceFiles(path);
  const sha256 = await sha256Of(files.filter((f) => statSync(f).isFile()));
  const sameName = weightsByName(wb.db, req.name);
  if (sameName && sameName.sha256 !== sha256) {
    throw new AppError('ALREADY_EXISTS', `Weights named "${req.name}" already exist (${sameName.id}) with different content; choose another name.`);
  }

  const set = await readWeightsFile(path);
  const found = detectArchitecture(set, req.architecture);
  const label = candidateLabel(found);
  assertComplete(found.report, label, path);

  const id = weightsId(found.architecture, found.variant, sha256);
  const existing = weightsById(wb.db, id);
  if (existing && existsSync(existing.path)) return { ...toInfo(existing), existed: true };

  // Keep only what the model uses (a full-model file also carries its old classifier and optimizer state).
  const kept: WeightSet = { format: set.format, file: set.file, layers: new Map(found.specs.map((l) => [l.name, set.layers.get(l.name)!])) };
  const dir = join(wb.home.weights, id);
  writeStored(dir, wb.home.tmp, kept, { architecture: found.architecture, variant: found.variant });
  const meta: WeightsMeta = { variant: found.variant, sourceFile: path, layers: kept.layers.size, params: countValues(kept), unmatched: found.report.unexpected };
  try {
    upsertWeights(wb.db, { id, name: req.name, architecture: found.architecture, format: set.format, path: dir, sha256, meta });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return getWeights(wb, id);
}

export function deleteWeights(wb: Workbench, id: string): void {
  const info = getWeights(wb, id);
  deleteWeightsRow(wb.db, info.id);
  rmSync(info.path, { recursive: true, force: true });
}
