/**
 * The contract's channel names as plain data, for the sandboxed preload: it may only require `electron`,
 * so it cannot load the zod schemas in contract.ts. The types below make a name missing here, or one that is
 * not in the contract, a compile error.
 */
import type { EventName, InvokeName } from './contract';

export const INVOKE_CHANNEL_NAMES = [
  'system.doctor', 'system.pickPath', 'system.ping',
  'datasets.list', 'datasets.import', 'datasets.stats', 'datasets.samples', 'datasets.delete', 'datasets.synth',
  'runs.create', 'runs.list', 'runs.get', 'runs.stop', 'runs.resume', 'runs.delete', 'runs.update', 'models.presets',
  'eval.run', 'eval.list', 'eval.get', 'eval.epochConfusions', 'eval.cell', 'eval.sampleProbs', 'eval.saliency', 'eval.calibration', 'eval.diff', 'eval.labelIssues', 'eval.contactSheet',
  'ensembles.create', 'ensembles.get', 'ensembles.list', 'eval.outOfFold', 'compare.table', 'compare.export', 'compare.evaluateMissing', 'eval.cancel',
  'ferplus.import', 'ferplus.get',
  'weights.import', 'weights.list', 'weights.delete',
  'models.import', 'models.list',
  'studies.create', 'studies.list', 'studies.get', 'studies.pause', 'studies.resume', 'studies.export', 'studies.extend', 'studies.duplicate', 'studies.estimate', 'studies.ensemble',
  'revisions.create', 'revisions.list', 'revisions.addChanges', 'revisions.removeChanges', 'revisions.diff', 'revisions.delete',
  'features.list', 'features.clear',
] as const satisfies readonly InvokeName[];

export const EVENT_CHANNEL_NAMES = ['system.log', 'import.progress', 'run.progress', 'run.epoch', 'run.status', 'eval.progress'] as const satisfies readonly EventName[];

// Compile-time checks, exported so that they are not unused locals (@public: nothing imports them).
type Exhaustive<All, Listed> = [Exclude<All, Listed>] extends [never] ? true : { missing: Exclude<All, Listed> };
/** @public */
export const invokeNamesComplete: Exhaustive<InvokeName, (typeof INVOKE_CHANNEL_NAMES)[number]> = true;
/** @public */
export const eventNamesComplete: Exhaustive<EventName, (typeof EVENT_CHANNEL_NAMES)[number]> = true;

/** Electron IPC channel names. Only these two cross the preload. */
export const IPC_INVOKE = 'fer:invoke';
export const IPC_EVENT = 'fer:event';
