import { untrack } from 'svelte';
import type { ChartConfiguration } from 'chart.js';
import { applyChartTheme, Chart, themeChart } from './chart-theme';
import { theme } from './theme.svelte';

/**
 * A Chart.js chart owned by a component (call during its setup): created once when the canvas mounts,
 * destroyed with it, and redrawn without animation whenever what `update` reads, or the OS theme, changes.
 * Created once and updated in place, so streaming progress never re-creates it or moves the page.
 */
export function useChart(canvas: () => HTMLCanvasElement | undefined, config: () => ChartConfiguration, update: (chart: Chart) => void): void {
  let chart = $state.raw<Chart | null>(null);
  $effect(() => {
    const el = canvas();
    if (!el) return;
    applyChartTheme();
    const created = untrack(() => new Chart(el, config()));
    chart = created;
    return () => {
      created.destroy();
      chart = null;
    };
  });
  $effect(() => {
    const c = chart;
    if (!c) return;
    update(c);
    void theme.dark;
    themeChart(c);
    c.update('none');
  });
}
