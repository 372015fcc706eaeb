import Chart from 'chart.js/auto';

export { Chart };

/** Chart colours come from the CSS variables, so charts follow the OS light/dark theme like the rest. */
export function cssVar(name: string, fallback: string): string {
  if (typeof document === 'undefined') return fallback;
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/** One colour per emotion (angry … neutral), readable on both themes. */
export const CLASS_COLORS = ['#e5534b', '#8b9a2e', '#a371f7', '#e3b341', '#4a8fe7', '#3fb9a6', '#8c959f'];

/** Series colours for train vs validation curves. */
export const SERIES = { train: '#4a8fe7', val: '#e5734b' };

export function applyChartTheme(): void {
  Chart.defaults.color = cssVar('--muted', '#5d6372');
  Chart.defaults.borderColor = cssVar('--border', '#d9dce3');
  Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
}

/** One line of a LineChart. */
export interface Series {
  label: string;
  color: string;
  data: (number | null)[];
  dashed?: boolean;
}

/**
 * Recolours an existing chart from the current CSS variables (text, grid, titles). Chart.js copies its
 * defaults at creation, so a theme switch must be applied to each chart's own options.
 */
export function themeChart(chart: Chart): void {
  const text = cssVar('--muted', '#5d6372');
  const grid = cssVar('--border', '#d9dce3');
  const opts = chart.options as {
    scales?: Record<string, { ticks?: { color?: string }; grid?: { color?: string }; title?: { color?: string } }>;
    plugins?: { title?: { color?: string }; legend?: { labels?: { color?: string } } };
  };
  for (const scale of Object.values(opts.scales ?? {})) {
    scale.ticks = { ...scale.ticks, color: text };
    scale.grid = { ...scale.grid, color: grid };
    scale.title = { ...scale.title, color: text };
  }
  if (opts.plugins) {
    opts.plugins.title = { ...opts.plugins.title, color: text };
    opts.plugins.legend = { ...opts.plugins.legend, labels: { ...opts.plugins.legend?.labels, color: text } };
  }
}
