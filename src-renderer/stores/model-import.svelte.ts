import type { DatasetSummary, ExternalModelInfo } from '../../src-shared/contract';
import { api } from '../lib/contract-client';
import { errorText } from '../lib/errors';
import { defaultImportForm, toImportArgs, validateImport, type ModelImportForm } from '../lib/model-import-form';

/** The Runs view's import dialog: its form, the datasets to pick from, and the import call. */
export class ModelImportStore {
  form = $state<ModelImportForm>(defaultImportForm());
  datasets = $state<DatasetSummary[]>([]);
  importing = $state(false);
  error = $state<string | null>(null);
  imported = $state<ExternalModelInfo | null>(null);
  tried = $state(false);
  errors = $derived(validateImport(this.form));

  async loadDatasets(): Promise<void> {
    try {
      this.datasets = await api.invoke('datasets.list', {});
      if (this.form.dataset === null && this.datasets.length === 1) this.form.dataset = this.datasets[0]!.id;
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** Imports (the service dry-runs the model first); resolves to the new model, or null with `error` set. */
  async submit(): Promise<ExternalModelInfo | null> {
    this.tried = true;
    if (Object.keys(this.errors).length) return null;
    this.importing = true;
    this.error = null;
    try {
      const info = await api.invoke('models.import', toImportArgs(this.form));
      this.imported = info;
      this.form = { ...defaultImportForm(), dataset: this.form.dataset };
      this.tried = false;
      return info;
    } catch (err) {
      this.error = errorText(err);
      return null;
    } finally {
      this.importing = false;
    }
  }
}
