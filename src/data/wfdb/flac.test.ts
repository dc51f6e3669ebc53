// FLAC signal files (formats 508, 516, 524) against fixtures made with the
// reference encoder (fixtures/make-flac-fixtures.mjs): every sample, the
// header checksums, skew and samples per frame, and damaged streams.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readRecord } from './record.js';
import { flacStreamInfo } from './flac.js';
import { FLAC3_N, FLACMUX_N, flac3Signal, flacmuxSignal } from './fixtures/flac-values.js';
import { FormatError } from '../../util/errors.js';
import { REPO_ROOT } from '../../../test/data-paths.js';

const FIX = resolve(REPO_ROOT, 'src/data/wfdb/fixtures');

function withDir(f: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-flac-'));
  try {
    f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('formats 508, 516, 524: every sample as encoded, checksums verify, each format\'s invalid value is NaN', () => {
  const rec = readRecord(join(FIX, 'flac3')); // checksum 'error': throws on a mismatch
  assert.deepEqual(rec.header.signals.map((s) => s.format), [508, 516, 524]);
  assert.deepEqual(rec.checksums.map((c) => c.ok), [true, true, true]);
  assert.deepEqual(rec.warnings, []);
  for (let k = 0; k < 3; k++) {
    const want = flac3Signal(k);
    assert.deepEqual(Array.from(rec.digital[k]!), want, `signal ${k}`);
    // The format's most negative value (-128, -32768, -8388608) marks a missing sample.
    const bits = 8 * (k + 1);
    assert.equal(want[10 + 10 * k], -(2 ** (bits - 1)));
    const phys = rec.ecg.signal.subarray(k * FLAC3_N, (k + 1) * FLAC3_N);
    assert.ok(Number.isNaN(phys[10 + 10 * k]!));
    assert.equal(phys[11 + 10 * k], Math.fround((2 ** (bits - 1) - 1) / 100));
    assert.equal(phys.filter((v) => Number.isNaN(v)).length, 1);
  }
});

test('FLAC with 2 signals x 2 samples per frame, one skewed: channels interleave per frame, skew reads the extra frame', () => {
  const rec = readRecord(join(FIX, 'flacmux'));
  assert.equal(rec.ecg.fs, 500); // 2 samples per frame on every signal: 2 x 250 Hz
  assert.equal(rec.ecg.nSamples, 2 * FLACMUX_N);
  assert.deepEqual(Array.from(rec.digital[0]!), flacmuxSignal(0).slice(0, 2 * FLACMUX_N));
  // Skewed by one frame = 2 FLAC samples; the checksum covers the stored samples of frames 0..N-1.
  assert.deepEqual(Array.from(rec.digital[1]!), flacmuxSignal(1).slice(2, 2 + 2 * FLACMUX_N));
  assert.deepEqual(rec.checksums.map((c) => c.ok), [true, true]);
  assert.deepEqual(rec.warnings, []); // the file's extra frame is what the skew reads
});

test('STREAMINFO of the fixtures: channels, bits per sample and length as WFDB wrote them', () => {
  const info = (f: string): unknown => flacStreamInfo(readFileSync(join(FIX, f)), f);
  assert.deepEqual(info('flac3_0.dat'), { channels: 1, bitsPerSample: 8, totalSamples: 300 });
  assert.deepEqual(info('flac3_2.dat'), { channels: 1, bitsPerSample: 24, totalSamples: 300 });
  assert.deepEqual(info('flacmux.dat'), { channels: 2, bitsPerSample: 16, totalSamples: 102 });
});

test('bad FLAC signal files: typed errors naming the file and what was expected', () => {
  withDir((dir) => {
    const good = readFileSync(join(FIX, 'flac3_1.dat'));
    const check = (hea: string, dat: Uint8Array, re: RegExp, field?: string): void => {
      writeFileSync(join(dir, 'r.hea'), hea);
      writeFileSync(join(dir, 'r.dat'), dat);
      assert.throws(
        () => readRecord(join(dir, 'r'), { checksum: 'warn', onWarning: () => {} }),
        (e: unknown) => e instanceof FormatError && !e.message.includes('\n') && re.test(e.message) && (field === undefined || e.field === field),
        re.source,
      );
    };
    check('r 1 250 300\nr.dat 516\n', Uint8Array.from([1, 2, 3, 4, 5, 6]), /r\.dat: not a FLAC stream \(expected the signature 'fLaC'/);
    check('r 1 250 300\nr.dat 516\n', good.subarray(0, 20), /r\.dat: FLAC stream without a complete STREAMINFO block/);
    check('r 1 250 300\nr.dat 516\n', good.subarray(0, good.length - 40), /r\.dat: damaged or truncated FLAC stream: 0 of the 300 samples its STREAMINFO declares could be decoded/);
    const flipped = Uint8Array.from(good);
    flipped[good.length - 100]! ^= 0x55;
    check('r 1 250 300\nr.dat 516\n', flipped, /damaged or truncated FLAC stream/);
    check('r 1 250 301\nr.dat 516\n', good, /r\.dat: truncated: .*r\.hea declares 301 frames of 1 sample\(s\) per signal, the FLAC stream holds 300/);
    check('r 2 250 300\nr.dat 516\nr.dat 516\n', good, /FLAC stream has 1 channel\(s\), .*r\.hea names 2 signal\(s\) in it/);
    check('r 1 250 300\nr.dat 516\n', readFileSync(join(FIX, 'flac3_2.dat')), /FLAC stream has 24 bits per sample, more than format 516 allows \(at most 16\)/);
    check('r 2 250 50\nr.dat 516x2\nr.dat 516\n', readFileSync(join(FIX, 'flacmux.dat')), /signals in the FLAC file r\.dat have different samples per frame/, 'samples per frame');
    const nine = `r 9 250 10\n${'r.dat 516\n'.repeat(9)}`;
    check(nine, good, /9 signals share the FLAC file r\.dat \(expected at most 8/);
  });
});

test('FLAC: a stream longer than the header declares is read up to its count, with one warning; no count reads it all', () => {
  withDir((dir) => {
    copyFileSync(join(FIX, 'flac3_0.dat'), join(dir, 'r.dat'));
    writeFileSync(join(dir, 'r.hea'), 'r 1 250 200\nr.dat 508 100/mV 8\n');
    const sink: string[] = [];
    const rec = readRecord(join(dir, 'r'), { onWarning: (m) => sink.push(m) });
    assert.deepEqual(sink, rec.warnings);
    assert.equal(rec.ecg.nSamples, 200);
    assert.deepEqual(Array.from(rec.digital[0]!), flac3Signal(0).slice(0, 200));
    assert.equal(rec.warnings.length, 1);
    assert.match(rec.warnings[0]!, /r\.dat: 100 samples per signal beyond the 200 frames .*r\.hea declares/);
    writeFileSync(join(dir, 'r.hea'), 'r 1 250\nr.dat 508 100/mV 8\n');
    const all = readRecord(join(dir, 'r'));
    assert.equal(all.ecg.nSamples, FLAC3_N);
    assert.deepEqual(all.warnings, []);
  });
});
