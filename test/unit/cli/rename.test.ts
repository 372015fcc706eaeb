import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDetail } from '../../../src-main/store/runs';
import { inProcessFer, lastJson } from '../../helpers/cli';
import { insertRun } from '../../helpers/evaluations';
import { createSyntheticDataset } from '../../helpers/fixtures';
import { tempWorkbench } from '../../helpers/workbench';

/** `fer rename` through the CLI's own main(): the same runs.update the run page calls. */
let t: ReturnType<typeof tempWorkbench>;
let fer: ReturnType<typeof inProcessFer>;
let id = 0;

beforeAll(async () => {
  t = tempWorkbench();
  const ds = (await createSyntheticDataset(t.wb, { perClass: 2, balanced: true, seed: 8, name: 'cli-rename-ds' })).id;
  id = insertRun(t.wb, ds, 1, false, 'faceres on cli-rename-ds');
  fer = inProcessFer(t.dir);
});
afterAll(() => t.cleanup());

describe('fer rename', () => {
  it('renames a run, and with --notes replaces its notes too; --json ends with the summary', async () => {
    const res = await fer('rename', String(id), 'FaceRes (frozen)', '--notes', 'second stage next');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe(`run ${id}: FaceRes (frozen) (notes updated)\n`);
    const json = await fer('rename', String(id), 'FaceRes, head only', '--json');
    expect(json.code, json.stderr).toBe(0);
    expect(lastJson(json.stdout)).toMatchObject({ id, name: 'FaceRes, head only' });
    const detail = runDetail(t.wb, id);
    expect([detail.run.name, detail.config?.notes]).toEqual(['FaceRes, head only', 'second stage next']);
    // --notes alone keeps the name.
    expect((await fer('rename', String(id), '--notes', '')).code).toBe(0);
    expect([runDetail(t.wb, id).run.name, runDetail(t.wb, id).config?.notes]).toEqual(['FaceRes, head only', '']);
    expect((await fer('runs')).stdout).toContain('FaceRes, head only');
  });

  it('refuses a missing or blank name, an unquoted name, an unknown run and a bad id, changing nothing', async () => {
    expect((await fer('rename', String(id))).stderr).toMatch(/error \[BAD_ARGS\]: Give a new name \(fer rename ID NAME\), new notes/);
    expect((await fer('rename', String(id), '  ')).stderr).toMatch(/error \[BAD_ARGS\]: .*name: a run needs a name; this one is empty or only spaces/);
    expect((await fer('rename', String(id), 'two', 'words')).stderr).toMatch(/error \[BAD_ARGS\]: Give the new name as one argument: quote it/);
    expect((await fer('rename', 'abc', 'x')).stderr).toMatch(/error \[BAD_ARGS\]: Give a run id \(a positive whole number\), not "abc"/);
    const unknown = await fer('rename', '9999', 'ghost', '--json');
    expect(unknown.code).toBe(1);
    expect(lastJson(unknown.stdout)).toMatchObject({ error: { code: 'NOT_FOUND', message: expect.stringMatching(/Run 9999 does not exist/) } });
    expect(runDetail(t.wb, id).run.name).toBe('FaceRes, head only');
  });

  it('is listed by fer help', async () => {
    const res = await fer('help');
    expect(res.stdout).toMatch(/^ {2}rename +Rename a run/m);
  });
});
