import { COMPARE_METRICS, studyGroupBy, type ModelPreset, type StudyAxis, type StudyEstimate, type StudySummary } from '../../src-shared/contract';
import { router } from '../lib/router.svelte';
import { api } from '../lib/contract-client';
import { errorText } from '../lib/errors';
import { applyPreset, defaultForm, type RunForm } from '../lib/run-form';
import { parseAxisValues, parseSeeds, defaultStudyForm, table2Form, memberCount, studyFieldErrors, toStudyArgs, validateStudy, type StudyForm } from '../lib/study-form';
import { ACTIVE } from './runs.svelte';
import { CompareStore, type ExportFormat } from './compare.svelte';

/** How often an open study with members still to train is re-read, besides the run.status events. */
const POLL_MS = 3000;

/**
 * The Studies view: the list, the create form (a RunForm base from a preset, axes, seeds), the selected
 * study kept live while its members train, and its results, tabulated by the Compare view's own store
 * (compare.table grouped by the study's axes) and exported through studies.export.
 */
export class StudiesStore {
  list = $state<StudySummary[]>([]);
  loaded = $state(false);
  error = $state<string | null>(null);

  base = $state<RunForm>(defaultForm());
  form = $state<StudyForm>(defaultStudyForm());
  presets = $state<ModelPreset[]>([]);
  presetsError = $state<string | null>(null);
  touched = $state(false);
  submitting = $state(false);
  submitError = $state<string | null>(null);
  serverErrors = $state<Record<string, string>>({});
  /** The arguments the service refused: its messages hold only while the form still says the same. */
  private refused = $state<string | null>(null);
  localErrors = $derived(validateStudy(this.form, this.base));
  members = $derived(memberCount(this.form));
  errors = $derived({
    ...(this.touched ? this.localErrors : {}),
    ...(this.refused !== null && this.refused === JSON.stringify(toStudyArgs(this.form, this.base)) ? this.serverErrors : {}),
  });

  selected = $state<StudySummary | null>(null);
  selectedError = $state<string | null>(null);
  actionError = $state<string | null>(null);
  acting = $state(false);
  /** The selected study's "extend" and "duplicate" inputs. */
  extendField = $state('');
  extendValues = $state('');
  extendSeeds = $state('');
  duplicateName = $state('');
  /** The create form's time estimate (studies.estimate), while it still describes the form. */
  estimate = $state<StudyEstimate | null>(null);
  estimating = $state(false);
  estimateError = $state<string | null>(null);
  private estimatedFor = '';
  estimateCurrent = $derived(this.estimate !== null && this.estimatedFor === JSON.stringify(toStudyArgs(this.form, this.base)));
  /** The results table: the Compare view's store, fed the members and the study's axes as its grouping. */
  readonly results = new CompareStore();
  exportFormat = $state<ExportFormat>('md');
  exportText = $state<string | null>(null);
  exportError = $state<string | null>(null);

  /**
   * True while a member is queued, running or stopping, or finished and still waiting for the study's automatic
   * evaluation: the view keeps re-reading the study.
   */
  training = $derived(
    this.selected?.members.some((m) => ACTIVE.includes(m.status) || (this.selected?.evaluate && m.status === 'completed' && !m.evaluation && !m.evalError)) ?? false,
  );
  private watching = false;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  /** The completed members the results table was last built from: it is rebuilt when that changes. */
  private tabulated = '';

  constructor() {
    if (typeof window === 'undefined') return;
    // A member changing state re-reads the study (debounced: a study's runs finish in bursts).
    api.on('run.status', (run) => {
      if (this.watching && this.selected?.members.some((m) => m.runId === run.id)) this.scheduleRefresh(200);
    });
    // So does a member's evaluation ending (the study evaluates members as they finish).
    api.on('eval.progress', (p) => {
      if (p.phase !== 'done' && p.phase !== 'cancelled') return;
      if (this.watching && this.selected?.members.some((m) => m.runId === p.runId)) this.scheduleRefresh(200);
    });
  }

  async load(): Promise<void> {
    try {
      this.list = await api.invoke('studies.list', {});
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    } finally {
      this.loaded = true;
    }
  }

  async loadPresets(): Promise<void> {
    this.presetsError = null;
    try {
      this.presets = await api.invoke('models.presets', {});
      if (this.base.preset === '' && this.presets[0]) this.choosePreset(this.presets[0].id);
    } catch (err) {
      this.presetsError = errorText(err);
    }
  }

  choosePreset(id: string): void {
    const p = this.presets.find((x) => x.id === id);
    if (p) applyPreset(this.base, p);
    else this.base.preset = '';
  }

  /** Fills the form with the paper's Table 2 grid (see table2Form). */
  table2(): void {
    table2Form(this.form);
  }

  addAxis(): void {
    const used = new Set(this.form.axes.map((a) => a.field));
    this.form.axes.push({ field: ['lr', 'batch', 'model', 'augment.rotation'].find((f) => !used.has(f)) ?? '', values: '' });
  }
  removeAxis(i: number): void {
    this.form.axes.splice(i, 1);
  }

  async create(): Promise<StudySummary | null> {
    this.touched = true;
    this.serverErrors = {};
    this.submitError = null;
    if (Object.keys(this.localErrors).length > 0) return null;
    const args = toStudyArgs(this.form, this.base);
    this.submitting = true;
    try {
      const study = await api.invoke('studies.create', args);
      this.touched = false;
      this.form.name = '';
      this.upsert(study);
      return study;
    } catch (err) {
      this.serverErrors = studyFieldErrors(err);
      this.refused = JSON.stringify(args);
      this.submitError = errorText(err);
      return null;
    } finally {
      this.submitting = false;
    }
  }

  private upsert(study: StudySummary): void {
    const i = this.list.findIndex((s) => s.id === study.id);
    if (i >= 0) this.list[i] = study;
    else this.list = [study, ...this.list];
    if (this.selected?.id === study.id) this.setSelected(study);
  }

  /** Shows a study; the results table and the export start from its members and axes. */
  async select(studyId: number): Promise<void> {
    if (this.selected?.id !== studyId) {
      this.selected = null;
      this.tabulated = '';
      this.exportText = null;
      this.exportError = null;
      this.actionError = null;
    }
    this.selectedError = null;
    try {
      const study = await api.invoke('studies.get', { studyId });
      this.upsert(study);
      if (this.selected?.id !== study.id) this.setSelected(study);
    } catch (err) {
      this.selectedError = errorText(err);
    }
  }

  private setSelected(study: StudySummary): void {
    const fresh = this.selected?.id !== study.id;
    this.selected = study;
    const r = this.results;
    if (fresh) {
      r.runIds = study.members.map((m) => m.runId);
      r.ensembleIds = study.ensembleId === null ? [] : [study.ensembleId];
      // The extend form starts on the study's first axis (the select would otherwise show nothing chosen).
      this.extendField = study.axes[0]?.field ?? '';
      r.groupBy = studyGroupBy(study) ?? '';
      // The study's own evaluation setting when it has one; else the members' test split, plain.
      const own = study.evaluate;
      r.split = own ? own.split : (study.base.testSplit ?? '');
      r.tta = own?.tta ?? 0;
      r.ttaFlip = own?.ttaFlip ?? null;
      r.checkpoint = own?.checkpoint ?? 'best';
      r.columns = study.reference ? [...COMPARE_METRICS, 'paperAccuracy', 'vsPaper'] : null;
    }
    // Rebuilt when a member completes or gets its evaluation, or the study's ensemble appears.
    r.ensembleIds = study.ensembleId === null ? [] : [study.ensembleId];
    const done = `${study.members.filter((m) => m.status === 'completed').map((m) => `${m.runId}:${m.evaluation?.id ?? ''}`).join(',')}|${study.ensembleId ?? ''}`;
    if (fresh || done !== this.tabulated) {
      this.tabulated = done;
      void r.refresh();
    }
  }

  async pause(): Promise<void> {
    await this.act('studies.pause');
  }
  async resume(): Promise<void> {
    await this.act('studies.resume');
  }
  /** More values on one of the study's axes and/or more seeds; the new members are queued (stopped while paused). */
  async extend(): Promise<void> {
    const s = this.selected;
    if (!s) return;
    const axes: { field: string; values: StudyAxis['values'] }[] = [];
    if (this.extendValues.trim() !== '') {
      const v = parseAxisValues(this.extendValues);
      if ('error' in v) return void (this.actionError = `Values: ${v.error}`);
      axes.push({ field: this.extendField, values: v.values });
    }
    let seeds: number[] = [];
    if (this.extendSeeds.trim() !== '') {
      const p = parseSeeds(this.extendSeeds);
      if ('error' in p) return void (this.actionError = `Seeds: ${p.error}`);
      seeds = p.seeds;
    }
    if (!axes.length && !seeds.length) return void (this.actionError = 'Give more values for an axis, or more seeds.');
    await this.run(async () => {
      this.upsert(await api.invoke('studies.extend', { studyId: s.id, axes, seeds }));
      this.extendValues = '';
      this.extendSeeds = '';
    });
  }

  /** Times a few batches per setup of the form's plan (in the evaluation process) and scales them to the plan. */
  async estimateTime(): Promise<void> {
    this.touched = true;
    if (Object.keys(this.localErrors).some((k) => k !== 'name')) return;
    const args = toStudyArgs(this.form, this.base);
    this.estimating = true;
    this.estimateError = null;
    try {
      this.estimate = await api.invoke('studies.estimate', { base: args.base, axes: args.axes, seeds: args.seeds, leaveOutUnrunnable: args.leaveOutUnrunnable });
      this.estimatedFor = JSON.stringify(args);
    } catch (err) {
      this.estimateError = errorText(err);
    } finally {
      this.estimating = false;
    }
  }

  /** An ensemble of each cell's best seed (studies.ensemble); it joins the results table. */
  async ensemble(): Promise<void> {
    const s = this.selected;
    if (!s) return;
    await this.run(async () => {
      const study = await api.invoke('studies.ensemble', { studyId: s.id });
      this.upsert(study);
      this.setSelected(study);
    });
  }

  /** A copy of the selected study under a new name; opens it. */
  async duplicate(): Promise<void> {
    const s = this.selected;
    if (!s) return;
    if (!this.duplicateName.trim()) return void (this.actionError = 'Give the copy a name.');
    await this.run(async () => {
      const copy = await api.invoke('studies.duplicate', { studyId: s.id, name: this.duplicateName.trim() });
      this.duplicateName = '';
      this.list = [copy, ...this.list];
      router.go('studies', copy.id);
    });
  }

  private async run(fn: () => Promise<void>): Promise<void> {
    this.acting = true;
    this.actionError = null;
    try {
      await fn();
    } catch (err) {
      this.actionError = errorText(err);
    } finally {
      this.acting = false;
    }
  }

  private async act(channel: 'studies.pause' | 'studies.resume'): Promise<void> {
    const s = this.selected;
    if (!s) return;
    await this.run(async () => this.upsert(await api.invoke(channel, { studyId: s.id })));
  }

  /**
   * "Evaluate the missing ones" of the Compare store, over the finished members only (one still training has no
   * checkpoint to evaluate yet); the table then shows every member again.
   */
  async evaluateFinished(): Promise<void> {
    const s = this.selected;
    if (!s) return;
    const r = this.results;
    r.runIds = s.members.filter((m) => m.status === 'completed').map((m) => m.runId);
    try {
      await r.evaluateMissing();
    } finally {
      r.runIds = (this.selected ?? s).members.map((m) => m.runId);
      await r.refresh();
    }
  }

  /** The study's table in a format, of the results table's evaluation setting; the view then downloads it. */
  async export(format: ExportFormat): Promise<string | null> {
    if (!this.selected) return null;
    this.exportFormat = format;
    this.exportError = null;
    const r = this.results;
    try {
      const res = await api.invoke('studies.export', {
        studyId: this.selected.id,
        format,
        split: r.split === '' ? null : r.split,
        tta: r.tta,
        ttaFlip: r.mirror,
        checkpoint: r.checkpoint,
      });
      this.exportText = res.text;
      return res.text;
    } catch (err) {
      this.exportError = errorText(err);
      this.exportText = null;
      return null;
    }
  }

  /** While the view is open: re-reads the selected study every few seconds as long as members are training. */
  watch(): () => void {
    this.watching = true;
    const timer = setInterval(() => {
      if (this.training && this.selected) void this.select(this.selected.id);
    }, POLL_MS);
    return () => {
      this.watching = false;
      clearInterval(timer);
      if (this.refreshTimer) clearTimeout(this.refreshTimer);
      this.refreshTimer = null;
    };
  }

  private scheduleRefresh(ms: number): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      if (this.watching && this.selected) void this.select(this.selected.id);
    }, ms);
  }
}

export const studiesStore = new StudiesStore();
