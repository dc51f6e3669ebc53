// Resources: what a hostile or broken record may not do (hang on a FIFO, read
// a device forever, allocate a huge gap) and the warnings for bytes a header
// does not account for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRecord } from './record.js';
import { readHeader } from './header.js';
import { readAnnotations } from './annotations.js';
import { encodeSamples } from './formats.js';
import { DEFAULT_MAX_SAMPLES } from './io.js';
import { FormatError, IoError } from '../../util/errors.js';
import { LUDB_DIR } from '../../../test/data-paths.js';

const LUDB = join(LUDB_DIR, 'data');

function withDir(f: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-limits-'));
  try {
    f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a FIFO or a device as signal, header or annotation file is refused before any read (no hang)', () => {
  withDir((dir) => {
    execFileSync('mkfifo', [join(dir, 'f.dat'), join(dir, 'p.hea'), join(dir, 'r.atr')]);
    symlinkSync('/dev/zero', join(dir, 'z.dat'));
    writeFileSync(join(dir, 'f.hea'), 'f 1 500 10\nf.dat 16\n');
    writeFileSync(join(dir, 'z.hea'), 'z 1 500\nz.dat 16\n');
    writeFileSync(join(dir, 'r.hea'), 'r 1 500 10\nr.dat 16\n');
    const t0 = Date.now();
    assert.throws(() => readRecord(join(dir, 'f')), (e: unknown) => e instanceof IoError && e.file === join(dir, 'f.dat') && /is a FIFO \(named pipe\) \(expected the signal file named by .*f\.hea as a regular file\)/.test(e.message));
    assert.throws(() => readRecord(join(dir, 'z')), (e: unknown) => e instanceof IoError && e.file === join(dir, 'z.dat') && /is a character device/.test(e.message));
    assert.throws(() => readHeader(join(dir, 'p')), (e: unknown) => e instanceof IoError && /p\.hea: is a FIFO/.test(e.message));
    assert.throws(() => readAnnotations(join(dir, 'r'), 'atr'), (e: unknown) => e instanceof IoError && /r\.atr: is a FIFO/.test(e.message));
    assert.throws(() => readRecord(dir), (e: unknown) => e instanceof IoError && /\.hea: no such file/.test(e.message));
    assert.ok(Date.now() - t0 < 5000, 'refused at once');
  });
});

test('a multi-segment gap of 170,000,000 samples is refused before allocating, naming the header and the limit', () => {
  withDir((dir) => {
    copyFileSync(join(LUDB, '1.hea'), join(dir, '1.hea'));
    copyFileSync(join(LUDB, '1.dat'), join(dir, '1.dat'));
    writeFileSync(join(dir, 'm.hea'), 'm/2 12 500 170005000\n1 5000\n~ 170000000\n');
    assert.throws(
      () => readRecord(join(dir, 'm')),
      (e: unknown) => e instanceof FormatError && e.file === join(dir, 'm.hea') && e.field === 'number of samples' && new RegExp(`170005000 samples \\(gaps included\\) x 12 signals, more than ecgx reads at once \\(at most ${DEFAULT_MAX_SAMPLES} samples`).test(e.message),
    );
    // The same record under the limit reads, the gap as NaN.
    writeFileSync(join(dir, 'ok.hea'), 'ok/2 12 500 5100\n1 5000\n~ 100\n');
    const rec = readRecord(join(dir, 'ok'));
    assert.equal(rec.ecg.nSamples, 5100);
    assert.ok(Number.isNaN(rec.ecg.signal[5050]!));
    // A caller may lower the limit; single-segment records obey it too.
    assert.throws(() => readRecord(join(dir, 'ok'), { maxSamples: 60_000 }), (e: unknown) => e instanceof FormatError && /at most 60000 samples/.test(e.message));
    assert.throws(() => readRecord(join(dir, '1'), { maxSamples: 59_999 }), (e: unknown) => e instanceof FormatError && e.file === join(dir, '1.hea') && /5000 frames of 12 samples, more than ecgx reads at once \(at most 59999/.test(e.message));
    assert.equal(readRecord(join(dir, '1'), { maxSamples: 60_000 }).ecg.nSamples, 5000);
  });
});

test('bytes past the declared samples: one warning naming the file and the count, unless padding or skewed frames account for them', () => {
  withDir((dir) => {
    const read = (hea: string, dat: Uint8Array): { warnings: string[]; sink: string[] } => {
      writeFileSync(join(dir, 'r.hea'), hea);
      writeFileSync(join(dir, 'r.dat'), dat);
      const sink: string[] = [];
      const rec = readRecord(join(dir, 'r'), { checksum: 'warn', onWarning: (m) => sink.push(m) });
      return { warnings: rec.warnings, sink };
    };
    // 3 samples of format 16 declared, 5 stored: 4 bytes too many.
    let r = read('r 1 500 3\nr.dat 16 200 16 0 1 6 0 I\n', encodeSamples(16, Int32Array.from([1, 2, 3, 4, 5])));
    assert.equal(r.warnings.length, 1);
    assert.deepEqual(r.sink, r.warnings);
    assert.match(r.warnings[0]!, new RegExp(`^${join(dir, 'r.dat').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 4 bytes beyond the 3 frames .*r\\.hea declares \\(expected at most 6 bytes, the file has 10\\); they were not read$`));
    // Format 212 with an odd count may end in a whole 3-byte group: no warning.
    r = read('r 1 500 3\nr.dat 212 200 12 0 1 6 0 I\n', encodeSamples(212, Int32Array.from([1, 2, 3, 0])));
    assert.deepEqual(r.warnings, []);
    // The frame a skewed signal reads past the end: no warning; one more frame: a warning.
    r = read('r 2 500 2\nr.dat 16 200 16 0 1 3 0 I\nr.dat 16:1 200 16 0 0 12 0 II\n', encodeSamples(16, Int32Array.from([1, 5, 2, 7, 3, 9])));
    assert.deepEqual(r.warnings, []);
    r = read('r 2 500 2\nr.dat 16 200 16 0 1 3 0 I\nr.dat 16:1 200 16 0 0 12 0 II\n', encodeSamples(16, Int32Array.from([1, 5, 2, 7, 3, 9, 4, 11])));
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0]!, /4 bytes beyond the 2 frames/);
    // A header without a sample count takes what the file holds: nothing to warn about.
    r = read('r 1 500\nr.dat 16\n', encodeSamples(16, Int32Array.from([1, 2, 3, 4, 5])));
    assert.deepEqual(r.warnings, []);
  });
});

test('LUDB records have no bytes past their samples: no warnings', () => {
  for (const i of [1, 2, 100, 200]) assert.deepEqual(readRecord(`${LUDB}/${i}`).warnings, []);
});
