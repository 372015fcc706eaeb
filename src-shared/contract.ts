/**
 * The one contract between the renderer and the services. Main, preload, the WebSocket bridge and the
 * renderer's client all derive their types from these maps, so no side can drift from another.
 */
import type { ArgsIn, ArgsOut, PayloadOf, ResultOf } from './contract/define';
import { contactSheetInvoke } from './contract/contact-sheet';
import { datasetsEvents, datasetsInvoke } from './contract/datasets';
import { evaluationEvents, evaluationInvoke } from './contract/evaluation';
import { featuresInvoke } from './contract/features';
import { ferplusEvents, ferplusInvoke } from './contract/ferplus';
import { labelIssuesInvoke } from './contract/label-issues';
import { modelsEvents, modelsInvoke } from './contract/models';
import { revisionsInvoke } from './contract/revisions';
import { runsEvents, runsInvoke } from './contract/runs';
import { studiesEvents, studiesInvoke } from './contract/studies';
import { systemEvents, systemInvoke } from './contract/system';
import { weightsEvents, weightsInvoke } from './contract/weights';

export const invokeChannels = {
  ...systemInvoke,
  ...datasetsInvoke,
  ...runsInvoke,
  ...evaluationInvoke,
  ...labelIssuesInvoke,
  ...contactSheetInvoke,
  ...ferplusInvoke,
  ...weightsInvoke,
  ...modelsInvoke,
  ...studiesInvoke,
  ...revisionsInvoke,
  ...featuresInvoke,
};

export const eventChannels = {
  ...systemEvents,
  ...datasetsEvents,
  ...runsEvents,
  ...evaluationEvents,
  ...ferplusEvents,
  ...weightsEvents,
  ...modelsEvents,
  ...studiesEvents,
};

export type InvokeChannels = typeof invokeChannels;
export type EventChannels = typeof eventChannels;
export type InvokeName = keyof InvokeChannels;
export type EventName = keyof EventChannels;
export type InvokeArgs<N extends InvokeName> = ArgsIn<InvokeChannels[N]>;
export type InvokeParsedArgs<N extends InvokeName> = ArgsOut<InvokeChannels[N]>;
export type InvokeResult<N extends InvokeName> = ResultOf<InvokeChannels[N]>;
export type EventPayload<E extends EventName> = PayloadOf<EventChannels[E]>;

export const INVOKE_NAMES = Object.keys(invokeChannels) as InvokeName[];
export const EVENT_NAMES = Object.keys(eventChannels) as EventName[];

export function isInvokeName(name: unknown): name is InvokeName {
  return typeof name === 'string' && Object.hasOwn(invokeChannels, name);
}

export { IPC_EVENT, IPC_INVOKE } from './channel-names';

export * from './contract/backbones';
export * from './contract/bounds';
export * from './contract/contact-sheet';
export * from './contract/datasets';
export * from './contract/evaluation';
export * from './contract/features';
export * from './contract/ferplus';
export * from './contract/label-issues';
export * from './contract/models';
export * from './contract/revisions';
export * from './contract/runs';
export * from './contract/studies';
export * from './contract/system';
export * from './contract/weights';
export * from './errors';
