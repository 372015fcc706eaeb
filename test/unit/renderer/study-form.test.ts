import { describe, expect, it } from 'vitest';
import { STUDY_MAX_MEMBERS, STUDY_MAX_VALUES, invokeChannels, trainConfigSchema } from '../../../src-shared/contract';
import { MODEL_PRESETS } from '../../../src-main/engine/models/presets';
import { dispatch } from '../../../src-main/services/dispatch';
import type { AllHandlers } from '../../../src-main/services/types';
import type { Workbench } from '../../../src-main/context';
import { planStudy } from '../../../src-main/studies/plan';
import { applyPreset, defaultForm } from '../../../src-renderer/lib/run-form';
import { studyTimeLeft } from '../../../src-renderer/lib/study-time';
import type { StudySummary } from '../../../src-shared/contract';
import {
  AXIS_FIELDS,
  defaultStudyForm,
  memberCount,
  parseAxisValues,
  parseSeeds,
  studyFieldErrors,
  table2Form,
  toStudyArgs,
  validateStudy,
} from '../../../src-renderer/lib/study-form';

/** The Studies view's create form must speak the contract: what it sends parses, and its limits are the contract's. */
describe('study form ↔ studies.create', () => {
  it('types comma-separated values: numbers, booleans, null, text, "quoted" text', () => {
    expect(parseAxisValues('0.001, 1e-4, -2, .5')).toEqual({ values: [0.001, 0.0001, -2, 0.5] });
    expect(parseAxisValues(' false,true ')).toEqual({ values: [false, true] });
    expect(parseAxisValues('null, 200')).toEqual({ values: [null, 200] });
    expect(parseAxisValues('baseline, vgg16, "1"')).toEqual({ values: ['baseline', 'vgg16', '1'] });
  });

  it('refuses empty, repeated and too many values, and bad seeds, saying which', () => {
    expect(parseAxisValues('')).toEqual({ error: 'Give at least one value.' });
    expect(parseAxisValues('1,,2')).toEqual({ error: 'Value 2 is empty: remove the extra comma.' });
    expect(parseAxisValues('1, 1.0')).toEqual({ error: 'The value 1 is listed twice.' });
    const many = Array.from({ length: STUDY_MAX_VALUES + 1 }, (_, i) => i).join(',');
    expect(parseAxisValues(many)).toEqual({ error: `At most ${STUDY_MAX_VALUES} values per axis (${STUDY_MAX_VALUES + 1} given).` });
    expect(parseSeeds('1, 2,3')).toEqual({ seeds: [1, 2, 3] });
    expect(parseSeeds('1, -2')).toEqual({ error: 'Seed "-2" is not a whole number ≥ 0.' });
    expect(parseSeeds('4, 4')).toEqual({ error: 'A seed is listed twice.' });
    expect(parseSeeds(' ')).toEqual({ error: 'Give at least one seed.' });
  });

  it('offers only fields the service takes as axes', () => {
    const cfg = trainConfigSchema.parse({ dataset: 1 });
    expect(AXIS_FIELDS).toContain('classWeights');
    expect(AXIS_FIELDS).toContain('augment.rotation');
    expect(AXIS_FIELDS).not.toContain('seed');
    for (const field of AXIS_FIELDS) {
      // A value may be out of range for the field; the field itself must never be refused.
      expect(() => planStudy(cfg, [{ field, values: [1] }], [1]), field).not.toThrow(/not a config field|not an axis/);
    }
  });

  it('sends a preset base with its axes and seeds, which the contract parses unchanged', () => {
    const base = { ...defaultForm(), dataset: 4 };
    applyPreset(base, MODEL_PRESETS.find((p) => p.id === 'baseline')!);
    base.epochs = 1;
    const f = { ...defaultStudyForm(), name: ' cw ', seeds: '1, 2', axes: [{ field: 'classWeights', values: 'false, true' }, { field: 'lr', values: '0.001, 0.01' }] };
    expect(validateStudy(f, base)).toEqual({});
    expect(memberCount(f)).toBe(8);
    const args = invokeChannels['studies.create'].args.parse(toStudyArgs(f, base));
    expect(args).toMatchObject({ name: 'cw', seeds: [1, 2], paused: false, axes: [{ field: 'classWeights', values: [false, true] }, { field: 'lr', values: [0.001, 0.01] }] });
    expect(args.base).toMatchObject({ dataset: 4, model: 'baseline', epochs: 1, patience: 12, schedule: { kind: 'plateau' } });
    // The contract's default seeds are the form's.
    expect(defaultStudyForm().seeds).toBe(String(invokeChannels['studies.create'].args.parse({ name: 'x', base: { dataset: 1 } }).seeds.join(', ')));
  });

  it('flags a study over the member limit, a repeated axis, and the base form\'s own errors', () => {
    const base = { ...defaultForm(), dataset: null, epochs: 0 };
    const values = Array.from({ length: 15 }, (_, i) => i + 1).join(',');
    const f = { ...defaultStudyForm(), seeds: values, axes: [{ field: 'epochs', values }, { field: 'epochs', values: '1' }], evaluateTta: 99 };
    const e = validateStudy(f, base);
    expect(e.evaluateTta).toMatch(/TTA views must be a whole number from 0 to 32/);
    expect(e.members).toBe(`That is 225 members; a study may have at most ${STUDY_MAX_MEMBERS}. Drop a value or a seed.`);
    expect(e['axis-1-field']).toMatch(/already an axis/);
    expect(e.name).toBe('Give the study a name.');
    expect(e.dataset).toMatch(/Choose a dataset/);
    expect(e.epochs).toMatch(/Epochs must be/);
  });

  it('puts the contract\'s BAD_ARGS messages next to the inputs they name', async () => {
    const env = await dispatch({} as AllHandlers, {} as Workbench, 'studies.create', {
      name: 'x',
      base: { dataset: 1, epochs: 0 },
      axes: [{ field: 'lr', values: [] }],
      seeds: [-1],
    });
    expect(env.ok).toBe(false);
    const errs = studyFieldErrors(!env.ok && env.error);
    expect(Object.keys(errs).sort()).toEqual(['axis-0-values', 'epochs', 'seeds']);
    expect(studyFieldErrors(new Error('x'))).toEqual({});
  });

  it('Reproduce Table 2 fills in the paper’s grid: presets × class weights, evaluated on PrivateTest, with the paper beside it', () => {
    const f = defaultStudyForm();
    table2Form(f);
    const args = toStudyArgs(f, { ...defaultForm(), dataset: 1 });
    expect(args).toMatchObject({
      name: 'Table 2',
      axes: [{ field: 'preset', values: ['baseline', 'resnet50', 'senet50', 'vgg16'] }, { field: 'classWeights', values: [false, true] }],
      evaluate: { split: 'PrivateTest', tta: 0 },
      reference: 'paper-table-2',
      leaveOutUnrunnable: true,
      ensemble: 'soft',
    });
    // What the form sends is what the contract and the planner accept.
    const parsed = invokeChannels['studies.create'].args.parse(args);
    expect(planStudy(parsed.base, parsed.axes, parsed.seeds).map((m) => m.config.model)).toEqual(['baseline', 'baseline', 'resnet50', 'resnet50', 'senet50', 'senet50', 'vgg16', 'vgg16']);
    expect(memberCount(f)).toBe(8);
  });
});

describe('a study’s time left', () => {
  const member = (runId: number, status: StudySummary['members'][number]['status'], trainSeconds: number | null) =>
    ({ runId, name: '', cell: {}, seed: 1, status, error: null, evaluation: null, evalError: null, trainSeconds }) as StudySummary['members'][number];
  it('is the training members’ own ETAs plus the completed members’ mean for each queued one', () => {
    const s = { members: [member(1, 'completed', 100), member(2, 'completed', 300), member(3, 'running', null), member(4, 'queued', null), member(5, 'failed', null)] };
    expect(studyTimeLeft(s, { 3: { etaSec: 50 } })).toBe(50 + 200);
    // No progress event yet for the running one: the mean stands in for it.
    expect(studyTimeLeft(s, {})).toBe(200 + 200);
    // Nothing completed yet and no ETA: unknown, not 0.
    expect(studyTimeLeft({ members: [member(1, 'running', null), member(2, 'queued', null)] }, {})).toBeNull();
    expect(studyTimeLeft({ members: [member(1, 'completed', 10)] }, {})).toBe(0);
  });
});
