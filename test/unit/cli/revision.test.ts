import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RevisionDiff, RevisionSummary } from '../../../src-shared/contract/revisions';
import { EMOTIONS } from '../../../src-shared/labels';
import { loadSplit } from '../../../src-main/data/packed-store';
import { inProcessFer, lastJson } from '../../helpers/cli';
import { fakeEval, insertRun } from '../../helpers/evaluations';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempWorkbench } from '../../helpers/workbench';

/** `fer revision …`, `fer label-issues --to-revision` and `fer train --revision` through the CLI's own main(). */
let t: ReturnType<typeof tempWorkbench>;
let fer: ReturnType<typeof inProcessFer>;
let ds: number;
let evalId: number;

beforeAll(async () => {
  t = tempWorkbench();
  ds = (await createSyntheticDataset(t.wb, { perClass: 10, balanced: true, testFraction: 1, seed: 11, name: 'cli-base' })).id;
  await createSyntheticDataset(t.wb, { perClass: 3, balanced: true, seed: 12, name: 'cli-other' });
  evalId = fakeEval(t.wb, insertRun(t.wb, ds, 1, false), ds, 'PrivateTest', 0.7, 5);
  fer = inProcessFer(t.dir);
});
afterAll(() => t.cleanup());

describe('fer revision', () => {
  it('creates, adds relabel and exclude changes, shows the diff, lists, removes and deletes', async () => {
    const train = loadSplit(t.wb, ds, 'Training');
    const [a, b] = [train.ids[0]!, train.ids[1]!];
    const newLabel = (train.labels[0]! + 1) % 7;
    expect((await fer('revision', 'create', 'by-hand', '--dataset', 'cli-base', '--note', 'two faces')).code).toBe(0);
    const add = await fer('revision', 'add', 'by-hand', `${a}=${EMOTIONS[newLabel]}`, `${b}=exclude`, '--reason', 'checked by eye', '--json');
    expect(add.code, add.stderr).toBe(0);
    expect(lastJson(add.stdout) as RevisionSummary).toMatchObject({ relabelled: 1, excluded: 1 });
    const show = await fer('revision', 'show', 'by-hand');
    expect(show.stdout).toContain(`${EMOTIONS[train.labels[0]!]} → ${EMOTIONS[newLabel]}  (checked by eye)`);
    expect(show.stdout).toMatch(new RegExp(`Training\\s+${train.n}→${train.n - 1}`));
    const bad = await fer('revision', 'add', 'by-hand', `${train.ids[2]}=happy`, `${a}=exclude`, '--json');
    expect(bad.code).toBe(1);
    expect(lastJson(bad.stdout)).toMatchObject({ error: { code: 'ALREADY_EXISTS' } });
    expect((await fer('revision', 'add', 'by-hand', 'x=sad')).stderr).toMatch(/not SAMPLE=EMOTION/);
    expect((await fer('revision', 'add', 'by-hand', `${a}=joy`)).stderr).toMatch(/"joy" is not an emotion/);
    const list = lastJson((await fer('revision', 'list', '--dataset', 'cli-base', '--json')).stdout) as RevisionSummary[];
    expect(list.map((r) => [r.name, r.relabelled, r.excluded])).toEqual([['by-hand', 1, 1]]);
    expect((await fer('revision', 'remove', 'by-hand', String(b))).code).toBe(0);
    expect((lastJson((await fer('revision', 'show', 'by-hand', '--json')).stdout) as RevisionDiff).changes.map((c) => c.sampleId)).toEqual([a]);
    expect((await fer('revision', 'delete', 'by-hand')).code).toBe(0);
    expect(lastJson((await fer('revision', 'list', '--json')).stdout)).toEqual([]);
  });

  it('fer label-issues --to-revision puts the listed faces in a revision as their suggested class, once', async () => {
    const first = await fer('label-issues', String(evalId), '--limit', '5', '--to-revision', 'auto', '--json');
    expect(first.code, first.stderr).toBe(0);
    const rep = lastJson(first.stdout) as { items: { sampleId: number; givenLabel: number; suggestedLabel: number }[]; revision: { revisionId: number; added: number; skipped: number } };
    expect(rep.items).toHaveLength(5);
    expect(rep.revision).toMatchObject({ added: 5, skipped: 0 });
    const diff = lastJson((await fer('revision', 'show', 'auto', '--json')).stdout) as RevisionDiff;
    const bySample = (x: unknown[], y: unknown[]) => Number(x[0]) - Number(y[0]);
    expect(diff.changes.map((c) => [c.sampleId, c.kind, c.oldLabel, c.newLabel, c.evaluationId]).sort(bySample)).toEqual(rep.items.map((it) => [it.sampleId, 'relabel', it.givenLabel, it.suggestedLabel, evalId]).sort(bySample));
    const again = await fer('label-issues', String(evalId), '--limit', '7', '--to-revision', 'auto', '--action', 'exclude', '--json');
    expect(again.code, again.stderr).toBe(0);
    expect((lastJson(again.stdout) as typeof rep).revision).toMatchObject({ added: 2, skipped: 5 });
    expect((lastJson((await fer('revision', 'show', 'auto', '--json')).stdout) as RevisionDiff).revision).toMatchObject({ relabelled: 5, excluded: 2 });
  });

  it('refuses a revision of another dataset, for label issues and for training, and queues nothing', async () => {
    await fer('revision', 'create', 'other-rev', '--dataset', 'cli-other');
    const li = await fer('label-issues', String(evalId), '--to-revision', 'other-rev', '--json');
    expect(li.code).toBe(1);
    expect(lastJson(li.stdout)).toMatchObject({ error: { code: 'INVALID_INPUT', message: expect.stringMatching(/revises dataset \d+ \(cli-other\), but evaluation/) } });
    const runsBefore = t.wb.db.prepare('SELECT count(*) AS n FROM runs').get();
    const tr = await fer('train', '--dataset', 'cli-base', '--revision', 'other-rev', '--epochs', '1', '--json');
    expect(tr.code).toBe(1);
    expect(lastJson(tr.stdout)).toMatchObject({ error: { code: 'INVALID_INPUT', message: expect.stringMatching(/config\.revision: revision "other-rev" revises dataset "cli-other", not "cli-base"/) } });
    expect(t.wb.db.prepare('SELECT count(*) AS n FROM runs').get()).toEqual(runsBefore);
    expect((lastJson((await fer('revision', 'show', 'other-rev', '--json')).stdout) as RevisionDiff).changes).toEqual([]);
  });
});
