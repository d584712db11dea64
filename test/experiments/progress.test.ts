import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProgress, formatDuration, progressLine } from '../../src/experiments/progress.ts';

function fakeStream(isTTY: boolean, columns?: number) {
  const writes: string[] = [];
  return { stream: { isTTY, columns, write: (text: string) => writes.push(text) }, writes };
}

function fakeClock(startMs = 1000) {
  let t = startMs;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test('progress: prints nothing at all when the stream is not a TTY', () => {
  for (const isTTY of [false, undefined]) {
    const writes: string[] = [];
    const progress = createProgress({ total: 3, label: 'train', stream: { isTTY, write: (text: string) => writes.push(text) } as never });
    progress.tick();
    progress.tick(2, 'loss 0.1');
    progress.done();
    assert.deepEqual(writes, []);
  }
});

test('progress: on a TTY redraws one line with count, percent, rate and ETA, and ends it on done()', () => {
  const { stream, writes } = fakeStream(true);
  const clock = fakeClock();
  const progress = createProgress({ total: 10, label: 'epoch 1', stream, now: clock.now });
  for (let i = 0; i < 5; i++) {
    clock.advance(1000);
    progress.tick(1, i === 4 ? 'loss 0.25' : undefined);
  }
  assert.equal(writes.length, 5);
  assert.ok(writes.every((w) => w.startsWith('\r') && w.endsWith('\x1b[K') && !w.includes('\n')));
  assert.equal(writes[4], '\repoch 1 5/10 50% 1.0/s ETA 5s loss 0.25\x1b[K');
  progress.done();
  assert.equal(writes[writes.length - 1], '\n');
  assert.match(writes[writes.length - 2], /^\repoch 1 5\/10 50% 1\.0\/s ETA 5s loss 0\.25/);
  progress.done();
  assert.equal(writes[writes.length - 1], '\n', 'done() is idempotent');
  assert.throws(() => progress.tick(), /progress: tick: expected a call before done\(\)/);
});

test('progress: throttles redraws but always draws the last tick', () => {
  const { stream, writes } = fakeStream(true);
  const clock = fakeClock();
  const progress = createProgress({ total: 100, label: 'x', stream, now: clock.now, minIntervalMs: 100 });
  for (let i = 0; i < 99; i++) progress.tick();
  assert.equal(writes.length, 1, 'the clock did not move: only the first draw');
  clock.advance(150);
  progress.tick();
  assert.equal(writes.length, 2);
  assert.match(writes[1], /^\rx 100\/100 100% .* ETA 0s/);
});

test('progress: cuts the line to the terminal width', () => {
  const { stream, writes } = fakeStream(true, 20);
  const progress = createProgress({ total: 10, label: 'a very long label that overflows', stream, now: fakeClock().now });
  progress.tick();
  assert.equal(writes[0].replace('\r', '').replace('\x1b[K', '').length, 19);
});

test('progressLine and formatDuration', () => {
  assert.equal(progressLine('run', 0, 4, 0), 'run 0/4 0% –/s ETA ?');
  assert.equal(progressLine('run', 200, 400, 1000), 'run 200/400 50% 200/s ETA 1s');
  assert.equal(formatDuration(45), '45s');
  assert.equal(formatDuration(187), '3m07s');
  assert.equal(formatDuration(7500), '2h05m');
  assert.equal(formatDuration(Number.NaN), '?');
});

test('progress: arguments are validated', () => {
  const { stream } = fakeStream(true);
  assert.throws(() => createProgress({ total: 0, label: 'x', stream }), { message: 'progress: total: expected an integer ≥ 1, received 0' });
  assert.throws(() => createProgress({ total: 1, label: 5 as never, stream }), { message: 'progress: label: expected a string, received 5' });
  assert.throws(() => createProgress({ total: 1, label: 'x', stream: {} as never }), /progress: stream: expected a writable stream/);
  const progress = createProgress({ total: 1, label: 'x', stream });
  assert.throws(() => progress.tick(-1), { message: 'progress: n: expected an integer ≥ 0, received -1' });
});

test('progress: status() gives count, percent, rate and ETA whether a TTY or not; initial units count but not in the rate', () => {
  for (const isTTY of [false, true]) {
    const { stream, writes } = fakeStream(isTTY);
    const clock = fakeClock();
    const progress = createProgress({ total: 100, initial: 40, label: 'run', stream, now: clock.now });
    assert.equal(progress.status(), '40/100 40% –/s ETA ?');
    clock.advance(2000);
    progress.tick(10);
    // 10 units in 2 s (the 40 resumed units took no time here): 5/s, 50 left → 10 s
    assert.equal(progress.status(), '50/100 50% 5.0/s ETA 10s');
    assert.equal(progress.status(125), '50/100 50% 5.0/s ETA 2m05s', 'a given ETA replaces the rate\'s');
    assert.equal(progress.status(NaN), '50/100 50% 5.0/s ETA 10s');
    if (!isTTY) assert.deepEqual(writes, []);
  }
  assert.throws(() => createProgress({ total: 5, initial: 6, label: 'x', stream: fakeStream(true).stream }), { message: 'progress: initial: expected an integer ≤ total (5), received 6' });
});

test('progress: clear() erases the live line on a TTY (only when one is drawn), and the next tick redraws it', () => {
  const { stream, writes } = fakeStream(true);
  const clock = fakeClock();
  const progress = createProgress({ total: 10, label: 'x', stream, now: clock.now, minIntervalMs: 1000 });
  progress.clear();
  assert.deepEqual(writes, [], 'nothing drawn yet: nothing to clear');
  progress.tick();
  assert.equal(writes.length, 1);
  progress.clear();
  assert.equal(writes[1], '\r\x1b[K');
  progress.clear();
  assert.equal(writes.length, 2, 'cleared once');
  progress.tick(); // within minIntervalMs, but the line was cleared: redraw at once
  assert.match(writes[2], /^\rx 2\/10 20%/);
  const plain = fakeStream(false);
  const quiet = createProgress({ total: 2, label: 'x', stream: plain.stream });
  quiet.tick();
  quiet.clear();
  assert.deepEqual(plain.writes, []);
});
