import { contactSheetHandlers } from './contact-sheet';
import { datasetsHandlers } from './datasets';
import { evaluationHandlers } from './evaluation';
import { featuresHandlers } from './features';
import { ferplusHandlers } from './ferplus';
import { labelIssuesHandlers } from './label-issues';
import { modelsHandlers } from './models';
import { revisionsHandlers } from './revisions';
import { runsHandlers } from './runs';
import { studiesHandlers } from './studies';
import { systemHandlers } from './system';
import type { AllHandlers } from './types';
import { weightsHandlers } from './weights';

/** Every contract channel's handler. The type makes a channel without a handler a compile error. */
export const handlers: AllHandlers = {
  ...systemHandlers,
  ...datasetsHandlers,
  ...runsHandlers,
  ...evaluationHandlers,
  ...labelIssuesHandlers,
  ...contactSheetHandlers,
  ...ferplusHandlers,
  ...weightsHandlers,
  ...modelsHandlers,
  ...studiesHandlers,
  ...revisionsHandlers,
  ...featuresHandlers,
};
