import type { contactSheetInvoke } from '../../src-shared/contract/contact-sheet';
import { contactSheet } from '../evaluation/contact-sheet';
import type { HandlersFor } from './types';

export const contactSheetHandlers: HandlersFor<typeof contactSheetInvoke> = {
  'eval.contactSheet': (args, wb) => contactSheet(wb, args),
};
