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
  /** Bytes of input already consumed when this run started (a resumed job; default 0). */
  readonly bytesAtStart?: number;
  /** What `rows` counts (default `rows`; a join's write phase counts `people`). */
  readonly unit?: string;
}

/** Where a rate is measured from: the start of the run, or the last snapshot of the previous phase. */
export interface ProgressBaseline {
  readonly rows: number;
  readonly bytes: number;
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
  /** When the current phase's rates are measured from, and the counts then. */
  #baseTime: number;
  #base: ProgressBaseline | undefined;
  #phase: string | undefined;
  #last: JobProgress | undefined;
  #lastUpdate: number;
  #lastDraw = 0;
  #drawn = false;
  /** Length of the bar line on screen, so that a shorter line erases what is left of it. */
  #drawnLength = 0;

  constructor(options: ProgressReporterOptions) {
    this.#stream = options.stream;
    this.#tty = options.stream.isTTY === true;
    this.#intervalMs = (options.intervalSeconds ?? 10) * 1000;
    if (!(this.#intervalMs > 0)) throw new RangeError('intervalSeconds must be positive');
    this.#now = options.now ?? Date.now;
    this.#started = this.#now();
    this.#baseTime = this.#started;
    this.#lastUpdate = this.#started;
  }

  /**
   * The line for a snapshot: `phase [#####-----] 45.0% ETA 1m23s 12,345 rows 1,234 rows/s 3 rejected`.
   * Rates count what was done in `elapsedMs` since `since` (default: since the run started).
   */
  describe(p: JobProgress, elapsedMs: number, since?: ProgressBaseline): string {
    const base = since ?? { rows: p.rowsAtStart, bytes: p.bytesAtStart ?? 0 };
    const rate = elapsedMs > 0 ? (Math.max(0, p.rows - base.rows) * 1000) / elapsedMs : 0;
    const parts = [p.phase];
    if (p.totalBytes !== undefined && p.totalBytes > 0) {
      const fraction = Math.min(1, p.bytesRead / p.totalBytes);
      if (this.#tty) {
        const full = Math.round(fraction * BAR_WIDTH);
        parts.push(`[${'#'.repeat(full)}${'-'.repeat(BAR_WIDTH - full)}]`);
      }
      parts.push(`${(fraction * 100).toFixed(1)}%`);
      const byteRate = elapsedMs > 0 ? (Math.max(0, p.bytesRead - base.bytes) * 1000) / elapsedMs : 0;
      if (fraction < 1 && byteRate > 0) parts.push(`ETA ${formatDuration((p.totalBytes - p.bytesRead) / byteRate)}`);
    }
    const unit = p.unit ?? 'rows';
    parts.push(`${count(p.rows)} ${unit}`, `${count(Math.round(rate))} ${unit}/s`, `${count(p.rejected)} rejected`);
    return parts.join(' ');
  }

  update(p: JobProgress): void {
    const now = this.#now();
    if (p.phase !== this.#phase) {
      this.#endBar();
      // A new phase's rates start from the previous phase's last snapshot (the counts of a join
      // add up across its sources), or from what the run started with.
      const previous = this.#last;
      // A phase that counts something else (people after rows) starts from its own zero.
      this.#base =
        previous === undefined
          ? { rows: p.rowsAtStart, bytes: p.bytesAtStart ?? 0 }
          : (previous.unit ?? 'rows') !== (p.unit ?? 'rows')
            ? { rows: p.rowsAtStart, bytes: previous.bytesRead }
            : { rows: previous.rows, bytes: previous.bytesRead };
      this.#baseTime = previous === undefined ? this.#started : this.#lastUpdate;
      this.#phase = p.phase;
      // Plain lines: the first one an interval after the phase began.
      this.#lastDraw = this.#baseTime;
      this.#drawn = false;
    }
    this.#last = p;
    this.#lastUpdate = now;
    if (this.#tty) {
      if (now - this.#lastDraw >= TTY_REDRAW_MS || !this.#drawn) this.#draw(p, now, false);
    } else if (now - this.#lastDraw >= this.#intervalMs) {
      this.#lastDraw = now;
      this.#stream.write(`${this.describe(p, now - this.#baseTime, this.#base)}\n`);
    }
  }

  #draw(p: JobProgress, at: number, final: boolean): void {
    this.#lastDraw = at;
    this.#drawn = true;
    const width = Math.max(2, this.#stream.columns ?? 120);
    const text = this.describe(p, at - this.#baseTime, this.#base).slice(0, width - 1);
    const shown = text.padEnd(Math.min(width - 1, Math.max(text.length, this.#drawnLength)));
    this.#drawnLength = final ? 0 : text.length;
    this.#stream.write(`\r${shown}${final ? '\n' : ''}`);
  }

  /** On a terminal, redraws the bar one last time and ends its line. */
  #endBar(): void {
    if (this.#tty && this.#drawn && this.#last !== undefined) this.#draw(this.#last, this.#lastUpdate, true);
    this.#drawn = false;
  }

  /** Ends the bar without a summary (the job failed or was interrupted): what follows starts on a new line. */
  stop(): void {
    this.#endBar();
  }

  /** Ends the bar and writes the summary line (with people and linked people for a join). */
  finish(summary: { rows: number; written: number; rejected: number; people?: number; linked?: number }): string {
    const now = this.#now();
    this.#endBar();
    const seconds = (now - this.#started) / 1000;
    const people =
      summary.people === undefined
        ? ''
        : `, ${count(summary.people)} people, ${count(summary.linked ?? 0)} linked (in more than one source)`;
    const line = `done: ${count(summary.rows)} rows, ${count(summary.written)} written, ${count(summary.rejected)} rejected${people} in ${formatDuration(seconds)}\n`;
    this.#stream.write(line);
    return line;
  }
}
