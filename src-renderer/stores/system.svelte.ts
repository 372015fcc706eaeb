import type { DoctorReport } from '../../src-shared/contract';
import { api } from '../lib/contract-client';

/** The doctor report: which backend training will use, and why the better ones are missing. */
export class SystemStore {
  report = $state<DoctorReport | null>(null);
  error = $state<string | null>(null);
  loading = $state(false);
  usable = $derived(this.report?.backends.filter((b) => b.usable).map((b) => b.name) ?? []);

  async load(): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      this.report = await api.invoke('system.doctor', {});
    } catch (err) {
      this.error = (err as Error).message;
    } finally {
      this.loading = false;
    }
  }
}

export const systemStore = new SystemStore();
