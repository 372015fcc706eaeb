import { AppError } from '../../src-shared/errors';
import { childEntry, type ChildEntry } from '../child-entry';
import { launchChild, type ChildHandle } from '../child-launcher';
import { childMessageSchema, type ChildMessage, type ParentMessage } from './protocol';

/** One running training process, on whichever host child-launcher.ts chose (Node's fork, or Electron's utilityProcess). */
export type TrainerHandle = ChildHandle<ParentMessage, ChildMessage>;

/** In the electron-vite build the trainer is its own bundle next to main's (input name `trainer`). */
function trainerEntry(): ChildEntry {
  const entry = childEntry(new URL('./child.ts', import.meta.url), new URL('./trainer.js', import.meta.url));
  if (!entry) throw new AppError('INTERNAL', 'The trainer entry (trainer/child.ts or trainer.js) is missing from this build.');
  return entry;
}

/** Starts `child.ts`, which waits for one 'start' message (protocol.ts). FER_TRAINER_STDERR=1 echoes its output. */
export function launchTrainer(): TrainerHandle {
  return launchChild<ParentMessage, ChildMessage>({
    label: 'the training process',
    serviceName: 'FER Workbench trainer',
    entry: trainerEntry(),
    messages: childMessageSchema,
    env: { FER_TRAINER_CHILD: '1' },
    echo: Boolean(process.env.FER_TRAINER_STDERR),
  });
}
