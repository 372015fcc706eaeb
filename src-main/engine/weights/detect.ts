import { TRANSFER_ARCHITECTURES, type TransferArchitecture, type WeightVariant } from '../../../src-shared/contract/weights';
import { AppError } from '../../../src-shared/errors';
import { ARCHITECTURES, buildBase } from '../models/blocks/architectures';
import { expectedLayers, matchWeights, type ExpectedLayer, type MatchReport } from './mapping';
import type { WeightSet } from './types';

export interface Candidate {
  architecture: TransferArchitecture;
  variant: WeightVariant;
}

export function candidateLabel(c: Candidate): string {
  return `${c.architecture} (${c.variant} layer names)`;
}

const SPEC_CACHE = new Map<string, { specs: ExpectedLayer[]; layerCount: number }>();

function described(c: Candidate): { specs: ExpectedLayer[]; layerCount: number } {
  const key = `${c.architecture}/${c.variant}`;
  let entry = SPEC_CACHE.get(key);
  if (!entry) {
    const model = buildBase(c.architecture, c.variant, ARCHITECTURES[c.architecture].minInputSize, 0, { zeros: true });
    entry = { specs: expectedLayers(model), layerCount: model.layers.length };
    model.dispose();
    SPEC_CACHE.set(key, entry);
  }
  return entry;
}

/** How many layers the conv base has (model.layers, counting the input layer as Keras does). */
export function baseLayerTotal(c: Candidate): number {
  return described(c).layerCount;
}

/**
 * The weighted layers of a conv base, with shapes. Built once per process with zero initialisers at the
 * smallest input (weight shapes of a conv base do not depend on the input size), then disposed.
 */
export function baseSpecs(c: Candidate): ExpectedLayer[] {
  return described(c).specs;
}

export function allCandidates(): Candidate[] {
  return TRANSFER_ARCHITECTURES.flatMap((architecture) =>
    (Object.keys(ARCHITECTURES[architecture].variants) as WeightVariant[]).map((variant) => ({ architecture, variant })),
  );
}

export interface Detection extends Candidate {
  report: MatchReport;
  specs: ExpectedLayer[];
}

/**
 * Which architecture and layer naming a weight file is for, by layer names: the candidate whose layers the
 * file covers best, then the one leaving fewest of the file's layers unexplained (so SE-ResNet weights,
 * which contain every ResNet layer name plus the SE layers, are told apart from plain ResNet weights).
 * With `want`, a file that is clearly for another architecture is refused, naming both.
 */
export function detectArchitecture(set: WeightSet, want?: TransferArchitecture): Detection {
  const scored = allCandidates().map((c) => {
    const specs = baseSpecs(c);
    return { ...c, specs, report: matchWeights(set, specs) };
  });
  const rank = (d: Detection) => [d.report.matched / d.report.expected, -d.report.unexpected.length] as const;
  const better = (a: Detection, b: Detection) => {
    const [fa, ua] = rank(a);
    const [fb, ub] = rank(b);
    return fa !== fb ? fa > fb : ua > ub;
  };
  const best = scored.reduce((a, b) => (better(b, a) ? b : a));
  const coverage = (d: Detection) => `${d.report.matched}/${d.report.expected} layers`;
  const fileLayers = [...set.layers.keys()];
  if (best.report.matched / best.report.expected < 0.5) {
    const wanted = want ? scored.filter((d) => d.architecture === want).reduce((a, b) => (better(b, a) ? b : a)) : best;
    throw new AppError(
      'WEIGHTS_MISMATCH',
      `${set.file} does not hold ${want ?? 'resnet50, senet50 or vgg16'} weights: the closest, ${candidateLabel(wanted)}, finds only ${coverage(wanted)} by name. The file's layers start ${fileLayers.slice(0, 6).join(', ') || '(none)'}.`,
    );
  }
  if (want && best.architecture !== want) {
    const own = scored.filter((d) => d.architecture === want).reduce((a, b) => (better(b, a) ? b : a));
    throw new AppError(
      'WEIGHTS_MISMATCH',
      `${set.file} holds ${best.architecture} weights, not ${want}: it matches ${candidateLabel(best)} (${coverage(best)}, ${best.report.unexpected.length} extra) better than ${candidateLabel(own)} (${coverage(own)}, ${own.report.unexpected.length} extra${own.report.unexpected.length ? `, e.g. ${own.report.unexpected.slice(0, 3).join(', ')}` : ''}).`,
    );
  }
  return best;
}
