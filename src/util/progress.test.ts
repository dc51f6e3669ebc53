import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { formatDuration, Progress, summaryLine } from './progress.js';

/** A fake stderr: collects what is written; `isTTY` as asked. */
function sink(isTTY: boolean): NodeJS.WriteStream & { text: () => string } {
  let out = '';
  const w = new Writable({ write(chunk, _enc, cb) { out += String(chunk); cb(); } }) as unknown as NodeJS.WriteStream & { text: () => string };
  Object.assign(w, { isTTY, columns: 200, text: () => out });
  return w;
}

test('pipes: one summary line at the end, only for steps of at least summaryAfterS', () => {
  const s = sink(false);
  const p = new Progress({ label: 'explain', total: 6, unit: 'ECG', stream: s, summaryAfterS: 0 });
  p.tick(3);
  p.tick(3);
  assert.equal(s.text(), '', 'nothing while running');
  p.finish();
  p.finish();
  assert.match(s.text(), /^explain: 6 ECG in \d\.\d s \(\d+(\.\d)? ECG\/s\)\n$/);
  const quick = sink(false);
  const q = new Progress({ label: 'quick', total: 1, unit: 'ECG', stream: quick });
  q.tick();
  q.finish();
  assert.equal(quick.text(), '', 'a step under 2 s says nothing in a pipe');
  const off = sink(false);
  const o = new Progress({ label: 'off', stream: off, enabled: false, summaryAfterS: 0 });
  o.finish();
  assert.equal(off.text(), '');
});

test('TTY: an updating line with count, rate, ETA and what is done now; a step shows its time', async () => {
  const s = sink(true);
  const saved = process.env['CI'];
  delete process.env['CI'];
  try {
    const p = new Progress({ label: 'tlc fit: clustering', total: 3, unit: 'group', stream: s });
    p.note('block1 (2000 vectors)');
    assert.match(s.text(), /\rtlc fit: clustering \[\.{24}\] 0\/3 0\.0 group\/s ETA --:-- block1 \(2000 vectors\)\x1b\[K$/);
    p.tick(3);
    assert.match(s.text(), /3\/3 .* ETA 0:00 block1/);
    p.finish();
    assert.ok(s.text().endsWith('\n'));
    const t = sink(true);
    const v = await Progress.step('report: gallery', () => 7, { stream: t });
    assert.equal(v, 7);
    assert.match(t.text(), /\rreport: gallery: done in \d\.\d s\x1b\[K\n$/);
  } finally {
    if (saved !== undefined) process.env['CI'] = saved;
  }
});

test('summary and duration texts', () => {
  assert.equal(summaryLine('x', 10, 'ECG', 4), 'x: 10 ECG in 4.0 s (2.5 ECG/s)');
  assert.equal(formatDuration(0.42), '0.4 s');
  assert.equal(formatDuration(42.4), '42 s');
  assert.equal(formatDuration(185), '3 min 05 s');
  assert.equal(formatDuration(3725), '1 h 02 min');
});
