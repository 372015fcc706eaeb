import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/workbench';
import type { CompareTable } from '../../../src-shared/contract/evaluation';
import { bestRows, latexEscape, toCsv, toLatex, toMarkdown } from '../../../src-main/analysis/export';

const table: CompareTable = {
  columns: ['accuracy', 'loss', 'recall.sad', 'backend'],
  groupBy: 'classWeights',
  split: 'PrivateTest',
  setting: { split: 'PrivateTest', tta: 7, ttaFlip: true, totalViews: 9, checkpoint: 'best' },
  missing: [],
  rows: [
    { key: 'g1', label: 'classWeights=false', kind: 'group', runIds: [1, 2], seeds: [1, 2], n: 2, missingRunIds: [], values: { accuracy: { mean: 0.7, std: 0.01 }, loss: { mean: 0.9, std: 0.02 }, 'recall.sad': { mean: 0.5, std: 0 }, backend: 'wasm' } },
    { key: 'g2', label: 'classWeights=true', kind: 'group', runIds: [3, 4], seeds: [1, 2], n: 2, missingRunIds: [], values: { accuracy: { mean: 0.68, std: 0.02 }, loss: { mean: 0.85, std: 0.01 }, 'recall.sad': null, backend: 'wasm' } },
    { key: 'e', label: 'ens_{1}&co', kind: 'ensemble', runIds: [1, 2, 3, 4], seeds: [1, 2, 1, 2], n: 1, missingRunIds: [], values: { accuracy: { mean: 0.74, std: 0 }, loss: { mean: 0.95, std: 0 }, 'recall.sad': { mean: 0.6, std: 0 }, backend: 'wasm' } },
  ],
};

function balanced(s: string): boolean {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') {
      i++; // an escaped brace is text, not grouping
      continue;
    }
    if (s[i] === '{') depth++;
    if (s[i] === '}') depth--;
    if (depth < 0) return false;
  }
  return depth === 0;
}

describe('table export', () => {
  it('finds the best row per column by direction', () => {
    expect([...bestRows(table.rows, 'accuracy')]).toEqual([2]);
    expect([...bestRows(table.rows, 'loss')]).toEqual([1]);
    expect([...bestRows(table.rows, 'backend')]).toEqual([]);
  });

  it('CSV has every row with run ids, seeds, mean and std columns', () => {
    const csv = toCsv(table).trim().split('\n');
    expect(csv[0]).toBe('label,kind,n,run_ids,seeds,missing_run_ids,eval_split,eval_tta_views,eval_checkpoint,accuracy_mean,accuracy_std,loss_mean,loss_std,recall.sad_mean,recall.sad_std,backend');
    expect(csv).toHaveLength(4);
    expect(csv[1]).toBe('classWeights=false,group,2,1 2,1 2,,PrivateTest,9,best,0.7,0.01,0.9,0.02,0.5,0,wasm');
    expect(csv[3]).toBe('ens_{1}&co,ensemble,1,1 2 3 4,1 2 1 2,,PrivateTest,9,best,0.74,,0.95,,0.6,,wasm');
  });

  it('Markdown shows mean ± std, bolds the best and keeps every row', () => {
    const md = toMarkdown(table);
    expect(md).toContain('| classWeights=false | 2 | 1, 2 | 1, 2 | 70.00 ± 1.00 | 0.9000 ± 0.0200 | 50.00 ± 0.00 | wasm |');
    expect(md).toContain('**0.8500 ± 0.0100**');
    expect(md).toContain('**74.00**');
    expect(md.split('\n').filter((l) => l.startsWith('| ')).length).toBe(2 + 3);
    expect(md).toContain('evaluations: PrivateTest, TTA 9 views (flip + 7 augmented), best checkpoint');
  });

  it('LaTeX is structurally valid booktabs with escaped text and bold best values', () => {
    const tex = toLatex(table);
    expect(balanced(tex)).toBe(true);
    const lines = tex.split('\n');
    const top = lines.indexOf('\\toprule');
    const mid = lines.indexOf('\\midrule');
    const bottom = lines.indexOf('\\bottomrule');
    expect(top).toBeGreaterThan(0);
    expect(mid).toBeGreaterThan(top);
    expect(bottom).toBeGreaterThan(mid + 3);
    expect(tex).toMatch(/\\begin\{tabular\}\{llllrrrl\}/);
    expect(tex).toContain('\\textbf{74.00}');
    expect(tex).toContain('\\textbf{0.8500 $\\pm$ 0.0100}');
    expect(tex).toContain('ens\\_\\{1\\}\\&co');
    // Each body row has as many cells as the column spec.
    for (const l of lines.slice(mid + 1, bottom)) expect(l.split(' & ')).toHaveLength(8);
    expect(latexEscape('50% #1 ~ ^ \\')).toBe('50\\% \\#1 \\textasciitilde{} \\textasciicircum{} \\textbackslash{}');
  });

  it('every format carries the evaluation setting and names the runs missing an evaluation of it', () => {
    const withMissing: CompareTable = {
      ...table,
      setting: { split: 'PrivateTest', tta: 0, ttaFlip: false, totalViews: 1, checkpoint: 'last' },
      missing: [{ runId: 5, label: 'r5 (#5)' }, { runId: 6, label: 'r6 (#6)' }],
      rows: [
        { ...table.rows[0]!, missingRunIds: [5] },
        { key: 'run:6', label: 'r6 (#6)', kind: 'run', runIds: [], seeds: [], n: 0, missingRunIds: [6], values: { accuracy: null, loss: null, 'recall.sad': null, backend: null } },
      ],
    };
    const csv = toCsv(withMissing).trim().split('\n');
    expect(csv[1]).toMatch(/^classWeights=false,group,2,1 2,1 2,5,PrivateTest,1,last,0\.7,/);
    expect(csv[2]).toBe('r6 (#6),run,0,,,6,PrivateTest,1,last,,,,,,,');
    const md = toMarkdown(withMissing);
    expect(md).toContain('| classWeights=false | 2 | 1, 2 (missing: 5) |');
    expect(md).toContain('| r6 (#6) | 0 | missing: 6 |  | – | – | – | – |');
    expect(md).toContain('evaluations: PrivateTest, plain (1 view), last checkpoint');
    expect(md).toContain('no evaluation of this setting: r5 (#5), r6 (#6)');
    const tex = toLatex(withMissing);
    expect(balanced(tex)).toBe(true);
    expect(tex).toMatch(/\\caption\{Evaluated on PrivateTest, plain \(1 view\), last checkpoint; grouped by classWeights.*; no evaluation of this setting: r5 \(\\#5\), r6 \(\\#6\)\.\}/);
    expect(toLatex(table)).toContain('\\caption{Evaluated on PrivateTest, TTA 9 views (flip + 7 augmented), best checkpoint;');
  });

  // A real compile where TeX is installed (apt-get install texlive-latex-recommended); skipped elsewhere.
  const hasPdflatex = spawnSync('pdflatex', ['--version']).status === 0;
  it.skipIf(!hasPdflatex)('LaTeX compiles with pdflatex and booktabs', () => {
    const t = tempDir();
    try {
      const nasty: CompareTable = { ...table, rows: [...table.rows, { ...table.rows[2]!, key: 'x', label: 'a_b {c} & 100% #1 ~x^2 \\o/' }] };
      writeFileSync(join(t.dir, 'table.tex'), toLatex(nasty));
      writeFileSync(join(t.dir, 'doc.tex'), '\\documentclass{article}\n\\usepackage{booktabs}\n\\begin{document}\n\\input{table}\n\\end{document}\n');
      const log = execFileSync('pdflatex', ['-interaction=nonstopmode', '-halt-on-error', 'doc.tex'], { cwd: t.dir, encoding: 'utf8' });
      expect(log).toMatch(/Output written on doc\.pdf/);
    } finally {
      t.cleanup();
    }
  });
});
