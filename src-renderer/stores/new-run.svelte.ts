import type { ModelPreset, RunSummary, WeightsInfo } from '../../src-shared/contract';
import { api } from '../lib/contract-client';
import { errorText, fieldErrors } from '../lib/errors';
import { npmBackbone } from '../../src-shared/contract';
import { applyPreset, baseLayers, cacheHint, defaultForm, initFromCandidates, toConfig, validate, type RunForm } from '../lib/run-form';
import { runsStore } from './runs.svelte';

/** The New experiment form: presets, local checks, server checks, and launching. */
export class NewRunStore {
  form = $state<RunForm>(defaultForm());
  presets = $state<ModelPreset[]>([]);
  presetsError = $state<string | null>(null);
  weights = $state<WeightsInfo[]>([]);
  weightsError = $state<string | null>(null);
  serverErrors = $state<Record<string, string>>({});
  submitError = $state<string | null>(null);
  submitting = $state(false);
  touched = $state(false);
  launched = $state<RunSummary[]>([]);
  /** The config the service refused: its messages hold only while the form still says the same. */
  private refused = $state<string | null>(null);
  localErrors = $derived(validate(this.form, this.weights, runsStore.list));
  /** The runs whose best weights the new run may start from (same model, a best epoch). */
  initFromRuns = $derived(initFromCandidates(runsStore.list, this.form.model));
  /** The pretrained base's depth for the chosen model and weights (null for the baseline): bounds `freeze`. */
  base = $derived(baseLayers(this.form, this.weights));
  /** The npm face backbone chosen (its source, training data and licence for the form), or undefined. */
  backbone = $derived(npmBackbone(this.form.model));
  /** Whether the feature cache will apply and why, shown next to its checkbox as the user edits. */
  cache = $derived(cacheHint(this.form, this.weights));
  /** Local messages show once the user tried to launch; the service's until the user changes the form. */
  errors = $derived({
    ...(this.touched ? this.localErrors : {}),
    ...(this.refused !== null && this.refused === JSON.stringify(toConfig(this.form)) ? this.serverErrors : {}),
  });

  async loadPresets(): Promise<void> {
    this.presetsError = null;
    try {
      this.presets = await api.invoke('models.presets', {});
    } catch (err) {
      this.presetsError = errorText(err);
    }
  }

  async loadWeights(): Promise<void> {
    try {
      this.weights = await api.invoke('weights.list', {});
      this.weightsError = null;
    } catch (err) {
      this.weightsError = errorText(err);
    }
  }

  /** The runs list (for Start from run), unless another view already loaded it; the store keeps it live. */
  async loadRuns(): Promise<void> {
    if (!runsStore.loaded) await runsStore.load();
  }

  choosePreset(id: string): void {
    const p = this.presets.find((x) => x.id === id);
    if (p) applyPreset(this.form, p);
    else this.form.preset = '';
  }

  async launch(): Promise<RunSummary[] | null> {
    this.touched = true;
    this.serverErrors = {};
    this.submitError = null;
    if (Object.keys(this.localErrors).length > 0) return null;
    this.submitting = true;
    try {
      const runs = await runsStore.create({
        config: toConfig(this.form),
        replicates: this.form.replicates,
        name: this.form.name.trim() || undefined,
      });
      this.launched = runs;
      this.touched = false;
      return runs;
    } catch (err) {
      this.serverErrors = fieldErrors(err, 'config.');
      this.refused = JSON.stringify(toConfig(this.form));
      this.submitError = errorText(err);
      return null;
    } finally {
      this.submitting = false;
    }
  }
}

export const newRunStore = new NewRunStore();
