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
  rows: [
    { key: 'g1', label: 'classWeights=false', kind: 'group', runIds: [1, 2], seeds: [1, 2], n: 2, values: { accuracy: { mean: 0.7, std: 0.01 }, loss: { mean: 0.9, std: 0.02 }, 'recall.sad': { mean: 0.5, std: 0 }, backend: 'wasm' } },
    { key: 'g2', label: 'classWeights=true', kind: 'group', runIds: [3, 4], seeds: [1, 2], n: 2, values: { accuracy: { mean: 0.68, std: 0.02 }, loss: { mean: 0.85, std: 0.01 }, 'recall.sad': null, backend: 'wasm' } },
    { key: 'e', label: 'ens_{1}&co', kind: 'ensemble', runIds: [1, 2, 3, 4], seeds: [1, 2, 1, 2], n: 1, values: { accuracy: { mean: 0.74, std: 0 }, loss: { mean: 0.95, std: 0 }, 'recall.sad': { mean: 0.6, std: 0 }, backend: 'wasm' } },
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
    expect(csv[0]).toBe('label,kind,n,run_ids,seeds,accuracy_mean,accuracy_std,loss_mean,loss_std,recall.sad_mean,recall.sad_std,backend');
    expect(csv).toHaveLength(4);
    expect(csv[1]).toBe('classWeights=false,group,2,1 2,1 2,0.7,0.01,0.9,0.02,0.5,0,wasm');
    expect(csv[3]).toBe('ens_{1}&co,ensemble,1,1 2 3 4,1 2 1 2,0.74,,0.95,,0.6,,wasm');
  });

  it('Markdown shows mean ± std, bolds the best and keeps every row', () => {
    const md = toMarkdown(table);
    expect(md).toContain('| classWeights=false | 2 | 1, 2 | 1, 2 | 70.00 ± 1.00 | 0.9000 ± 0.0200 | 50.00 ± 0.00 | wasm |');
    expect(md).toContain('**0.8500 ± 0.0100**');
    expect(md).toContain('**74.00**');
    expect(md.split('\n').filter((l) => l.startsWith('| ')).length).toBe(2 + 3);
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
