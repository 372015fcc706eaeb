/** A one-line progress bar on stderr; on a non-TTY it prints at most one line per `everyMs`. */
export class ProgressBar {
  private lastDraw = 0;
  private readonly tty: boolean;
  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly everyMs = 1000,
  ) {
    this.tty = Boolean(stream.isTTY);
  }

  update(done: number, total: number | null, suffix = ''): void {
    const now = Date.now();
    if (now - this.lastDraw < (this.tty ? 100 : this.everyMs) && (total === null || done < total)) return;
    this.lastDraw = now;
    const width = 28;
    const frac = total ? Math.min(1, done / total) : 0;
    const bar = total ? '█'.repeat(Math.round(frac * width)).padEnd(width, '░') : '';
    const count = total ? `${done}/${total} ${(frac * 100).toFixed(0).padStart(3)}%` : `${done}`;
    const line = `${this.label} ${bar} ${count} ${suffix}`.trimEnd();
    if (this.tty) this.stream.write(`\r\x1b[2K${line}`);
    else this.stream.write(`${line}\n`);
  }

  done(message?: string): void {
    if (this.tty) this.stream.write('\r\x1b[2K');
    if (message) this.stream.write(`${message}\n`);
  }
}

export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}
