import type { StudySummary } from '../../src-shared/contract';

/**
 * A study's training time left, kept up to date while it runs: a training member's own ETA (its latest progress
 * event), and for each member still queued the mean training time of the members that completed. Null while that
 * cannot be said (nothing completed yet and a member without an ETA of its own).
 */
export function studyTimeLeft(s: Pick<StudySummary, 'members'>, live: Readonly<Record<number, { etaSec: number } | undefined>>): number | null {
  const done = s.members.flatMap((m) => (m.trainSeconds === null ? [] : [m.trainSeconds]));
  const mean = done.length ? done.reduce((a, b) => a + b, 0) / done.length : null;
  let left = 0;
  for (const m of s.members) {
    if (m.status !== 'running' && m.status !== 'stopping' && m.status !== 'queued') continue;
    const eta = m.status === 'queued' ? undefined : live[m.runId]?.etaSec;
    if (eta !== undefined) left += eta;
    else if (mean !== null) left += mean;
    else return null;
  }
  return left;
}
