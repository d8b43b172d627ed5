/**
 * Progress of long jobs: a bar redrawn in place on a terminal (rows/s, ETA when the input size is
 * known, rejects), plain lines every few seconds otherwise (logs, CI), and a summary at the end.
 * It shows counts and rates only, never row contents.
 */

export interface JobProgress {
  readonly phase: string;
  /** Bytes of input consumed (committed). */
  readonly bytesRead: number;
  /** Total bytes of input, when known. */
  readonly totalBytes: number | undefined;
  readonly rows: number;
  readonly written: number;
  readonly rejected: number;
  /** Rows already done when this run started (a resumed job). */
  readonly rowsAtStart: number;
}

export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressReporterOptions {
  stream: ProgressStream;
  /** Seconds between plain lines when the stream is not a terminal (default 10). */
  intervalSeconds?: number;
  /** Milliseconds since the epoch (for tests). */
  now?: () => number;
}

const BAR_WIDTH = 24;
const TTY_REDRAW_MS = 100;

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
}

const count = (n: number): string => n.toLocaleString('en-US');

export class ProgressReporter {
  readonly #stream: ProgressStream;
  readonly #tty: boolean;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #started: number;
  #phaseStarted: number;
  #phase: string | undefined;
  #last: JobProgress | undefined;
  #lastDraw = 0;
  #drawn = false;

  constructor(options: ProgressReporterOptions) {
    this.#stream = options.stream;
    this.#tty = options.stream.isTTY === true;
    this.#intervalMs = (options.intervalSeconds ?? 10) * 1000;
    if (!(this.#intervalMs > 0)) throw new RangeError('intervalSeconds must be positive');
    this.#now = options.now ?? Date.now;
    this.#started = this.#now();
    this.#phaseStarted = this.#started;
  }

  /** The line for a snapshot: `phase [#####-----] 45% 12,345 rows 1,234 rows/s ETA 1m23s 3 rejected`. */
  describe(p: JobProgress, elapsedMs: number): string {
    const rate = elapsedMs > 0 ? ((p.rows - p.rowsAtStart) * 1000) / elapsedMs : 0;
    const parts = [p.phase];
    if (p.totalBytes !== undefined && p.totalBytes > 0) {
      const fraction = Math.min(1, p.bytesRead / p.totalBytes);
      if (this.#tty) {
        const full = Math.round(fraction * BAR_WIDTH);
        parts.push(`[${'#'.repeat(full)}${'-'.repeat(BAR_WIDTH - full)}]`);
      }
      parts.push(`${(fraction * 100).toFixed(1)}%`);
      const byteRate = elapsedMs > 0 ? (p.bytesRead * 1000) / elapsedMs : 0;
      if (fraction < 1 && byteRate > 0) parts.push(`ETA ${formatDuration((p.totalBytes - p.bytesRead) / byteRate)}`);
    }
    parts.push(`${count(p.rows)} rows`, `${count(Math.round(rate))} rows/s`, `${count(p.rejected)} rejected`);
    return parts.join(' ');
  }

  update(p: JobProgress): void {
    const now = this.#now();
    if (p.phase !== this.#phase) {
      if (this.#tty && this.#drawn && this.#last !== undefined) this.#draw(this.#last, now, true);
      this.#phase = p.phase;
      this.#phaseStarted = now;
      this.#lastDraw = now;
      this.#drawn = false;
    }
    this.#last = p;
    if (this.#tty) {
      if (now - this.#lastDraw >= TTY_REDRAW_MS || !this.#drawn) this.#draw(p, now, false);
    } else if (now - this.#lastDraw >= this.#intervalMs) {
      this.#lastDraw = now;
      this.#stream.write(`${this.describe(p, now - this.#phaseStarted)}\n`);
    }
  }

  #draw(p: JobProgress, now: number, final: boolean): void {
    this.#lastDraw = now;
    this.#drawn = true;
    const text = this.describe(p, now - this.#phaseStarted);
    const width = this.#stream.columns ?? 120;
    this.#stream.write(
      `\r${text.slice(0, width - 1).padEnd(Math.min(width - 1, text.length + 2))}${final ? '\n' : ''}`,
    );
  }

  /** Ends the bar and writes the summary line. */
  finish(summary: { rows: number; written: number; rejected: number }): string {
    const now = this.#now();
    if (this.#tty && this.#drawn && this.#last !== undefined) this.#draw(this.#last, now, true);
    const seconds = (now - this.#started) / 1000;
    const line = `done: ${count(summary.rows)} rows, ${count(summary.written)} written, ${count(summary.rejected)} rejected in ${formatDuration(seconds)}\n`;
    this.#stream.write(line);
    return line;
  }
}
