import type { RunDetail } from '../../src-shared/contract';
import { curveRunOf, curvesSvg } from '../../src-shared/curves-svg';

/**
 * The Compare view's curves of the selected runs: the figure `fer curves` draws for the runs that have stored epochs.
 * The others (models imported from elsewhere, runs not past their first epoch) are left out and named, rather than
 * refusing the whole selection as the CLI does for runs it was explicitly given.
 */
export function selectionCurves(details: readonly Pick<RunDetail, 'run' | 'epochs'>[]): { svg: string; leftOut: string[] } {
  const drawn = details.filter((d) => d.epochs.length > 0);
  const leftOut = details.filter((d) => d.epochs.length === 0).map((d) => `#${d.run.id} ${d.run.name}`);
  if (drawn.length === 0) throw new Error(`No selected run has a finished epoch to draw${leftOut.length ? ` (${leftOut.join(', ')})` : ''}.`);
  return { svg: curvesSvg(drawn.map(curveRunOf)), leftOut };
}
