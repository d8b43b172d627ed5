/** The progress reporter: a bar redrawn in place on a terminal, plain lines otherwise, a summary. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type JobProgress, ProgressReporter, formatDuration } from '@blindpseudo/research';

/** A stream that records what is written to it; a terminal when `isTTY`. */
class FakeStream {
  readonly writes: string[] = [];
  constructor(
    readonly isTTY: boolean,
    readonly columns?: number,
  ) {}
  write(text: string): boolean {
    this.writes.push(text);
    return true;
  }
  get text(): string {
    return this.writes.join('');
  }
}

/** A clock the test moves by hand. */
class FakeClock {
  t = 1_700_000_000_000;
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

const snapshot = (p: Partial<JobProgress>): JobProgress => ({
  phase: 'pseudonymize',
  bytesRead: 0,
  totalBytes: 1000,
  rows: 0,
  written: 0,
  rejected: 0,
  rowsAtStart: 0,
  ...p,
});

test('formatDuration: seconds, minutes, hours, unknown', () => {
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(59.4), '59s');
  assert.equal(formatDuration(65), '1m05s');
  assert.equal(formatDuration(3725), '1h02m');
  assert.equal(formatDuration(-3), '0s');
  assert.equal(formatDuration(Infinity), '?');
  assert.equal(formatDuration(NaN), '?');
});

test('the interval must be positive', () => {
  assert.throws(() => new ProgressReporter({ stream: new FakeStream(false), intervalSeconds: 0 }), RangeError);
  assert.throws(() => new ProgressReporter({ stream: new FakeStream(false), intervalSeconds: -1 }), RangeError);
});

test('terminal: a bar with %, ETA, rows/s and rejects, redrawn in place at most every 100 ms', () => {
  const stream = new FakeStream(true, 120);
  const clock = new FakeClock();
  const reporter = new ProgressReporter({ stream, now: clock.now });

  clock.advance(10_000);
  reporter.update(snapshot({ bytesRead: 250, rows: 1000, written: 997, rejected: 3 }));
  assert.equal(stream.writes.length, 1, 'the first snapshot is drawn at once');
  const first = stream.writes[0]!;
  assert.ok(first.startsWith('\r') && !first.includes('\n'), 'drawn in place, no new line');
  assert.equal(
    first.trimEnd(),
    '\rpseudonymize [######------------------] 25.0% ETA 30s 1,000 rows 100 rows/s 3 rejected',
  );

  clock.advance(50);
  reporter.update(snapshot({ bytesRead: 260, rows: 1040, rejected: 3 }));
  assert.equal(stream.writes.length, 1, 'not redrawn within 100 ms');

  clock.advance(9_950);
  reporter.update(snapshot({ bytesRead: 500, rows: 2000, rejected: 4 }));
  assert.equal(stream.writes.length, 2);
  assert.equal(
    stream.writes[1]!.trimEnd(),
    '\rpseudonymize [############------------] 50.0% ETA 20s 2,000 rows 100 rows/s 4 rejected',
  );

  // At 100 % the ETA goes: the shorter line is padded so that nothing of the longer one is left.
  clock.advance(5_000);
  reporter.update(snapshot({ bytesRead: 1000, rows: 5000, rejected: 4 }));
  const full = stream.writes[2]!;
  assert.equal(full.trimEnd(), '\rpseudonymize [########################] 100.0% 5,000 rows 200 rows/s 4 rejected');
  assert.ok(full.length >= stream.writes[1]!.length, 'pads over the previous line');

  const line = reporter.finish({ rows: 5000, written: 4996, rejected: 4 });
  assert.equal(line, 'done: 5,000 rows, 4,996 written, 4 rejected in 25s\n');
  assert.equal(stream.writes.length, 5, 'the bar is drawn one last time, its line ended, then the summary');
  assert.ok(stream.writes[3]!.startsWith('\r') && stream.writes[3]!.endsWith('\n'));
  assert.equal(stream.writes[4], line);
});

test('terminal: the line fits the width; a new phase keeps the previous bar on its own line', () => {
  const stream = new FakeStream(true, 40);
  const clock = new FakeClock();
  const reporter = new ProgressReporter({ stream, now: clock.now });
  clock.advance(1_000);
  reporter.update(snapshot({ phase: 'load hospital', bytesRead: 100, rows: 100 }));
  clock.advance(1_000);
  reporter.update(snapshot({ phase: 'load registry', bytesRead: 600, rows: 600 }));
  for (const w of stream.writes) assert.ok(w.replace(/[\r\n]/g, '').length <= 39, `fits in 40 columns: ${w}`);
  assert.equal(stream.writes.length, 3);
  assert.ok(stream.writes[1]!.startsWith('\rload hospital') && stream.writes[1]!.endsWith('\n'), 'first bar ended');
  assert.ok(stream.writes[2]!.startsWith('\rload registry') && !stream.writes[2]!.includes('\n'));
});

test('terminal: stop() ends the bar without a summary, once', () => {
  const stream = new FakeStream(true, 100);
  const reporter = new ProgressReporter({ stream, now: new FakeClock().now });
  reporter.stop();
  assert.equal(stream.writes.length, 0, 'nothing drawn, nothing to end');
  reporter.update(snapshot({ rows: 10 }));
  reporter.stop();
  reporter.stop();
  assert.equal(stream.writes.length, 2);
  assert.ok(stream.writes[1]!.endsWith('\n'));
  assert.ok(!stream.text.includes('done:'));
});

test('not a terminal: a plain line per interval, no bar, no carriage return', () => {
  const stream = new FakeStream(false);
  const clock = new FakeClock();
  const reporter = new ProgressReporter({ stream, intervalSeconds: 10, now: clock.now });

  clock.advance(5_000);
  reporter.update(snapshot({ bytesRead: 100, rows: 500, rejected: 1 }));
  clock.advance(4_000);
  reporter.update(snapshot({ bytesRead: 180, rows: 900, rejected: 1 }));
  assert.equal(stream.writes.length, 0, 'nothing before the first interval');

  clock.advance(1_000); // 10 s after the phase began
  reporter.update(snapshot({ bytesRead: 200, rows: 1000, rejected: 2 }));
  assert.deepEqual(stream.writes, ['pseudonymize 20.0% ETA 40s 1,000 rows 100 rows/s 2 rejected\n']);

  clock.advance(9_999);
  reporter.update(snapshot({ bytesRead: 399, rows: 1999, rejected: 2 }));
  assert.equal(stream.writes.length, 1, 'not before another interval');
  clock.advance(1);
  reporter.update(snapshot({ bytesRead: 400, rows: 2000, rejected: 2 }));
  assert.equal(stream.writes[1], 'pseudonymize 40.0% ETA 30s 2,000 rows 100 rows/s 2 rejected\n');

  reporter.stop();
  assert.equal(stream.writes.length, 2, 'stop() writes nothing on a plain stream');
  clock.advance(40_000);
  assert.equal(reporter.finish({ rows: 5000, written: 4990, rejected: 10 }), stream.writes[2]);
  assert.equal(stream.writes[2], 'done: 5,000 rows, 4,990 written, 10 rejected in 1m00s\n');
  assert.ok(stream.writes.every((w) => !w.includes('\r') && !w.includes('[')));
});

test('unknown total: no percentage and no ETA, still rows/s', () => {
  const stream = new FakeStream(false);
  const clock = new FakeClock();
  const reporter = new ProgressReporter({ stream, intervalSeconds: 1, now: clock.now });
  clock.advance(2_000);
  reporter.update(snapshot({ totalBytes: undefined, bytesRead: 100, rows: 50 }));
  assert.deepEqual(stream.writes, ['pseudonymize 50 rows 25 rows/s 0 rejected\n']);
});

test('a resumed job: rates and ETA count this run only', () => {
  const stream = new FakeStream(false);
  const clock = new FakeClock();
  const reporter = new ProgressReporter({ stream, intervalSeconds: 10, now: clock.now });
  clock.advance(10_000);
  // Half the input was done before: 1,000 more rows and 100 more bytes in 10 s.
  reporter.update(snapshot({ bytesRead: 600, rows: 6000, rowsAtStart: 5000, bytesAtStart: 500 }));
  assert.deepEqual(stream.writes, ['pseudonymize 60.0% ETA 40s 6,000 rows 100 rows/s 0 rejected\n']);
});

test('phases with running totals (a join): rates start again from the previous phase', () => {
  const stream = new FakeStream(false);
  const clock = new FakeClock();
  const reporter = new ProgressReporter({ stream, intervalSeconds: 10, now: clock.now });
  clock.advance(10_000);
  reporter.update(snapshot({ phase: 'load a', bytesRead: 500, totalBytes: 2000, rows: 1000 }));
  assert.equal(stream.writes[0], 'load a 25.0% ETA 30s 1,000 rows 100 rows/s 0 rejected\n');
  // The second source: 500 rows and 250 bytes in the 5 s since the first source's last batch.
  clock.advance(5_000);
  reporter.update(snapshot({ phase: 'load b', bytesRead: 750, totalBytes: 2000, rows: 1500 }));
  clock.advance(5_000);
  reporter.update(snapshot({ phase: 'load b', bytesRead: 1000, totalBytes: 2000, rows: 2000 }));
  assert.deepEqual(stream.writes.slice(1), ['load b 50.0% ETA 20s 2,000 rows 100 rows/s 0 rejected\n']);
});

test('the reporter writes counts only', () => {
  const stream = new FakeStream(true, 200);
  const clock = new FakeClock();
  const reporter = new ProgressReporter({ stream, now: clock.now });
  clock.advance(1_000);
  reporter.update(snapshot({ rows: 12, written: 10, rejected: 2 }));
  reporter.finish({ rows: 12, written: 10, rejected: 2 });
  assert.doesNotMatch(stream.text, /\d{11}|eyJ/);
});
