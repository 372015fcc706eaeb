import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src-shared/errors';
import { dispatch } from '../../../src-main/services/dispatch';
import { handlers } from '../../../src-main/services/index';
import type { AllHandlers } from '../../../src-main/services/types';
import { tempWorkbench } from '../../helpers/workbench';

const t = tempWorkbench();
afterAll(() => t.cleanup());

describe('dispatch: the one entry point every transport uses', () => {
  it('calls the handler with parsed arguments and wraps the value', async () => {
    await expect(dispatch(handlers, t.wb, 'system.ping', { echo: 'x' })).resolves.toMatchObject({ ok: true, value: { pong: true, echo: 'x' } });
  });

  it('outside Electron, the native file dialog channel says to type the path instead', async () => {
    const env = await dispatch(handlers, t.wb, 'system.pickPath', { kind: 'file' });
    expect(env).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED', message: expect.stringMatching(/type the path/) } });
  });

  it('refuses names outside the contract, including prototype keys', async () => {
    for (const name of ['nope', 'constructor', 'toString', '__proto__', 42, null]) {
      const env = await dispatch(handlers, t.wb, name, {});
      expect(env).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
    }
  });

  it('validates arguments with the channel schema and names the bad field', async () => {
    const env = await dispatch(handlers, t.wb, 'datasets.samples', { dataset: 'x', limit: 5000 });
    expect(env.ok).toBe(false);
    if (!env.ok) {
      expect(env.error.code).toBe('BAD_ARGS');
      expect(env.error.message).toMatch(/limit/);
    }
  });

  it('turns an AppError into its code and message, and anything else into INTERNAL', async () => {
    const fake = {
      ...handlers,
      'system.ping': () => {
        throw new AppError('NOT_FOUND', 'No run 9.');
      },
      'system.doctor': () => {
        throw new TypeError('boom');
      },
    } as AllHandlers;
    await expect(dispatch(fake, t.wb, 'system.ping', {})).resolves.toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'No run 9.' } });
    const original = console.error;
    console.error = () => undefined;
    try {
      await expect(dispatch(fake, t.wb, 'system.doctor', {})).resolves.toEqual({ ok: false, error: { code: 'INTERNAL', message: 'boom' } });
    } finally {
      console.error = original;
    }
  });
});
