import { describeSetting, type CompareRow, type CompareTable } from '../../src-shared/contract/evaluation';
import { describeColumn as info, formatCell, formatNumber } from '../../src-shared/columns';

/**
 * A comparison table as CSV, Markdown or LaTeX (booktabs). Every row the researcher saw is written,
 * with its run ids and seeds, the evaluation setting it was chosen by (split, TTA views, checkpoint) and the
 * runs missing an evaluation of that setting; in Markdown and LaTeX the best value of each rankable column is bold.
 */

export type ExportFormat = 'csv' | 'md' | 'latex';

type Cell = CompareRow['values'][string];

function isStat(v: Cell | undefined): v is { mean: number; std: number } {
  return v !== null && v !== undefined && typeof v === 'object';
}

/** Row indexes holding the best mean of a column (all of them on a tie). */
export function bestRows(rows: readonly CompareRow[], col: string): Set<number> {
  const dir = info(col).best;
  const best = new Set<number>();
  if (!dir) return best;
  let target: number | null = null;
  for (const r of rows) {
    const v = r.values[col];
    if (!isStat(v) || !Number.isFinite(v.mean)) continue;
    if (target === null || (dir === 'max' ? v.mean > target : v.mean < target)) target = v.mean;
  }
  if (target === null) return best;
  // Compare as printed, so two values that read the same are both bold.
  const shown = formatNumber(info(col), target);
  rows.forEach((r, i) => {
    const v = r.values[col];
    if (isStat(v) && formatNumber(info(col), v.mean) === shown) best.add(i);
  });
  return best;
}

function cellText(row: CompareRow, col: string, pm: string): string {
  return formatCell(col, row.values[col], row.n, pm);
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The split a row was scored on: the table's, or the row's own when the table mixes splits. */
function rowSplit(table: CompareTable, row: CompareRow): string {
  const v = row.values.split;
  return table.split ?? (typeof v === 'string' ? v : '');
}

/** The Runs cell: the scored runs, then the selected ones missing an evaluation of the setting. */
function runsText(row: CompareRow): string {
  const missing = row.missingRunIds.length ? `missing: ${row.missingRunIds.join(', ')}` : '';
  return [row.runIds.join(', '), missing && (row.runIds.length ? `(${missing})` : missing)].filter(Boolean).join(' ');
}

export function toCsv(table: CompareTable): string {
  const header = ['label', 'kind', 'n', 'run_ids', 'seeds', 'missing_run_ids', 'eval_split', 'eval_tta_views', 'eval_checkpoint'];
  for (const col of table.columns) {
    if (info(col).kind === 'text') header.push(col);
    else header.push(`${col}_mean`, `${col}_std`);
  }
  const lines = [header.map(csvField).join(',')];
  const { totalViews, checkpoint } = table.setting;
  for (const r of table.rows) {
    const f = [r.label, r.kind, String(r.n), r.runIds.join(' '), r.seeds.join(' '), r.missingRunIds.join(' '), rowSplit(table, r), String(totalViews), checkpoint];
    for (const col of table.columns) {
      const v = r.values[col];
      if (info(col).kind === 'text') f.push(v === null || v === undefined ? '' : isStat(v) ? String(v.mean) : v);
      else if (isStat(v)) f.push(String(v.mean), r.n > 1 ? String(v.std) : '');
      else f.push('', '');
    }
    lines.push(f.map(csvField).join(','));
  }
  return `${lines.join('\n')}\n`;
}

function mdEscape(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\*/g, '\\*').replace(/_/g, '\\_');
}

export function toMarkdown(table: CompareTable): string {
  const bold = table.columns.map((c) => bestRows(table.rows, c));
  const header = ['Row', 'n', 'Runs', 'Seeds', ...table.columns.map((c) => info(c).header)];
  const align = ['---', '--:', '---', '---', ...table.columns.map((c) => (info(c).kind === 'text' ? '---' : '--:'))];
  const lines = [`| ${header.map(mdEscape).join(' | ')} |`, `| ${align.join(' | ')} |`];
  table.rows.forEach((r, i) => {
    const cells = [mdEscape(r.label), String(r.n), mdEscape(runsText(r)), r.seeds.join(', ')];
    table.columns.forEach((c, j) => {
      const t = mdEscape(cellText(r, c, ' ± '));
      cells.push(bold[j]!.has(i) ? `**${t}**` : t);
    });
    lines.push(`| ${cells.join(' | ')} |`);
  });
  const notes = [
    `evaluations: ${describeSetting({ ...table.setting, split: table.split ?? table.setting.split })}`,
    table.groupBy ? `grouped by ${table.groupBy}, mean ± std over n runs` : null,
    table.missing.length ? `no evaluation of this setting: ${table.missing.map((m) => m.label).join(', ')}` : null,
  ].filter(Boolean);
  if (notes.length) lines.push('', `_${mdEscape(notes.join('; '))}_`);
  return `${lines.join('\n')}\n`;
}

const LATEX_SPECIALS: Record<string, string> = {
  '\\': '\\textbackslash{}',
  '&': '\\&',
  '%': '\\%',
  $: '\\$',
  '#': '\\#',
  _: '\\_',
  '{': '\\{',
  '}': '\\}',
  '~': '\\textasciitilde{}',
  '^': '\\textasciicircum{}',
};

export function latexEscape(s: string): string {
  return s.replace(/[\\&%$#_{}~^]/g, (ch) => LATEX_SPECIALS[ch]!);
}

export function toLatex(table: CompareTable): string {
  const bold = table.columns.map((c) => bestRows(table.rows, c));
  const spec = `llll${table.columns.map((c) => (info(c).kind === 'text' ? 'l' : 'r')).join('')}`;
  const header = ['Row', '$n$', 'Runs', 'Seeds', ...table.columns.map((c) => latexEscape(info(c).header))];
  const lines = [
    '% Generated by FER Workbench. Needs \\usepackage{booktabs}.',
    '\\begin{table}[t]',
    '\\centering',
    `\\begin{tabular}{${spec}}`,
    '\\toprule',
    `${header.join(' & ')} \\\\`,
    '\\midrule',
  ];
  table.rows.forEach((r, i) => {
    const cells = [latexEscape(r.label), String(r.n), latexEscape(runsText(r)), latexEscape(r.seeds.join(', '))];
    table.columns.forEach((c, j) => {
      const v = r.values[c];
      // A missing value is an en dash written the ASCII way, so the file compiles without a UTF-8 setup.
      const text = v === null || v === undefined ? '--' : isStat(v) ? cellText(r, c, ' $\\pm$ ') : latexEscape(cellText(r, c, ''));
      cells.push(bold[j]!.has(i) ? `\\textbf{${text}}` : text);
    });
    lines.push(`${cells.join(' & ')} \\\\`);
  });
  const caption =
    `Evaluated on ${latexEscape(describeSetting({ ...table.setting, split: table.split ?? table.setting.split }))}` +
    (table.groupBy ? `; grouped by ${latexEscape(table.groupBy)}, mean $\\pm$ std over $n$ runs` : '') +
    (table.missing.length ? `; no evaluation of this setting: ${latexEscape(table.missing.map((m) => m.label).join(', '))}` : '');
  lines.push('\\bottomrule', '\\end{tabular}', `\\caption{${caption}.}`, '\\end{table}');
  return `${lines.join('\n')}\n`;
}

export function renderTable(table: CompareTable, format: ExportFormat): string {
  return format === 'csv' ? toCsv(table) : format === 'md' ? toMarkdown(table) : toLatex(table);
}
