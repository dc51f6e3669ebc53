import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRecord, writeRecord, wfdbChecksum } from './record.js';
import { readHeader } from './header.js';
import { encodeSamples } from './formats.js';
import { makeEcg } from '../ecg.js';
import { STANDARD_LEADS } from '../leads.js';
import { FormatError, IoError, OptionError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { LUDB_DIR } from '../../../test/data-paths.js';

const LUDB = join(LUDB_DIR, 'data');


function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'ecgx-wfdb-'));
}

/** Writes a header and raw signal files into a fresh folder; returns the record path. */
function rawRecord(header: string, files: Record<string, Uint8Array | number[]>, name = 'r'): string {
  const dir = tmp();
  writeFileSync(join(dir, `${name}.hea`), header);
  for (const [f, bytes] of Object.entries(files)) writeFileSync(join(dir, f), Uint8Array.from(bytes));
  return join(dir, name);
}

function cleanup(recordPath: string): void {
  rmSync(join(recordPath, '..'), { recursive: true, force: true });
}

/** 16-bit checksum of a list of digital values, as a header writes it. */
function sum16(values: number[]): number {
  return wfdbChecksum(Int32Array.from(values));
}

function close(actual: number, expected: number, tol = 1e-6): void {
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected}, got ${actual}`);
}

test('LUDB: all 200 records read, checksums verify, 12 canonical leads, metadata filled', () => {
  let sexes = 0;
  for (let i = 1; i <= 200; i++) {
    const rec = readRecord(`${LUDB}/${i}`);
    assert.equal(rec.checksums.length, 12);
    for (const c of rec.checksums) {
      assert.equal(c.ok, true, `record ${i} lead ${c.lead}`);
      assert.equal(c.expected, c.actual);
    }
    assert.deepEqual(rec.ecg.leads, [...STANDARD_LEADS]);
    assert.equal(rec.ecg.fs, 500);
    assert.equal(rec.ecg.nSamples, 5000);
    assert.equal(rec.ecg.meta.recordId, String(i));
    assert.equal(rec.ecg.meta.sourcePath, `${LUDB}/${i}.hea`);
    assert.ok(rec.ecg.meta.age! >= 10 && rec.ecg.meta.age! <= 100, `age of ${i}`);
    assert.ok(rec.ecg.meta.labels!.length >= 1);
    assert.ok(rec.ecg.meta.labels!.some((l) => /^Rhythm:/.test(l)), `rhythm label of ${i}`);
    if (rec.ecg.meta.sex === 'F' || rec.ecg.meta.sex === 'M') sexes++;
  }
  assert.equal(sexes, 200);
});

test('LUDB record 1: physical samples equal (digital - baseline) / gain, computed by hand from 1.dat bytes', () => {
  const rec = readRecord(`${LUDB}/1.hea`);
  const { ecg } = rec;
  const at = (lead: number, t: number): number => ecg.signal[lead * ecg.nSamples + t]!;
  // Frame 0 bytes 88 ff | 19 00 ...: lead I = 0xff88 = -120 (also the header's initial value); gain 1716, baseline 6.
  close(at(0, 0), (-120 - 6) / 1716);
  // Frame 1, lead II = 0x0061 = 97; gain 1206, baseline 2.
  close(at(1, 1), (97 - 2) / 1206);
  // Frame 1000 (byte 24000): III = 0x0019 = 25, gain 1229, baseline -5; V1 = 0xfff1 = -15, gain 1372, baseline -1; V2 = 0xffa6 = -90, gain 1572, baseline 2.
  close(at(2, 1000), (25 + 5) / 1229);
  close(at(6, 1000), (-15 + 1) / 1372);
  close(at(7, 1000), (-90 - 2) / 1572);
  assert.deepEqual(Array.from(rec.digital[0]!.subarray(0, 2)), [-120, -43]);
  assert.equal(rec.ecg.meta.age, 51);
  assert.equal(rec.ecg.meta.sex, 'F');
  assert.equal(rec.ecg.meta.labels![0], 'Rhythm: Sinus bradycardia');
  // The checksum is a real known answer: the header's value for lead I.
  assert.equal(rec.checksums[0]!.expected, -32198);
  assert.equal(rec.checksums[0]!.actual, -32198);
});

test('writeRecord -> readRecord round trip (formats 16 and 212): same digital values, valid checksums, metadata', () => {
  const rng = new Rng(11);
  const n = 777;
  const leads = ['I', 'II', 'V1'];
  for (const format of [16, 212] as const) {
    const gain = format === 16 ? 1000 : 200;
    const digital = leads.map(() => Array.from({ length: n }, () => Math.round(rng.range(-1, 1) * (format === 16 ? 30000 : 2000))));
    digital[1]![5] = NaN; // a missing sample
    const signal = new Float32Array(leads.length * n);
    digital.forEach((d, l) => d.forEach((v, t) => (signal[l * n + t] = v / gain)));
    const ecg = makeEcg({ signal, fs: 360, leads, meta: { recordId: 'x', age: 63, sex: 'M', labels: ['AF, paroxysmal', 'LBBB'] } });
    const dir = tmp();
    try {
      writeRecord(dir, 'syn', ecg, { format, gain, comments: ['written by a test'] });
      assert.deepEqual(readdirSync(dir).sort(), ['syn.dat', 'syn.hea']);
      const rec = readRecord(join(dir, 'syn'));
      assert.equal(rec.header.signals[0]!.format, format);
      assert.equal(rec.ecg.fs, 360);
      assert.deepEqual(rec.ecg.leads, leads);
      for (let l = 0; l < leads.length; l++) {
        const want = digital[l]!.map((v) => (Number.isNaN(v) ? (format === 16 ? -32768 : -2048) : v));
        assert.deepEqual(Array.from(rec.digital[l]!), want, `format ${format} lead ${l}`);
      }
      assert.ok(rec.checksums.every((c) => c.ok && c.expected !== undefined));
      assert.ok(Number.isNaN(rec.ecg.signal[n + 5]!));
      close(rec.ecg.signal[2]!, digital[0]![2]! / gain, 1e-4);
      assert.deepEqual(rec.ecg.meta.labels, ['AF, paroxysmal', 'LBBB']);
      assert.equal(rec.ecg.meta.age, 63);
      assert.equal(rec.ecg.meta.sex, 'M');
      assert.equal(rec.header.comments[0], 'written by a test');
      const size = readFileSync(join(dir, 'syn.dat')).length;
      assert.equal(size, format === 16 ? 2 * 3 * n : Math.ceil((3 * n * 3) / 2));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('writeRecord clips to the format range and rounds to ADC units; bad options are OptionErrors', () => {
  const dir = tmp();
  try {
    const ecg = makeEcg({ signal: Float32Array.from([0.0004, 0.0006, 100, -100]), fs: 100, leads: ['II'], meta: { recordId: 'c' } });
    writeRecord(dir, 'c', ecg, { format: 212, gain: 1000 });
    assert.deepEqual(Array.from(readRecord(join(dir, 'c')).digital[0]!), [0, 1, 2047, -2047]);
    assert.throws(() => writeRecord(dir, 'bad name', ecg), (e: unknown) => e instanceof OptionError && e.option === 'record name');
    assert.throws(() => writeRecord(dir, 'g', ecg, { gain: 0 }), (e: unknown) => e instanceof OptionError && e.option === 'gain');
    assert.throws(() => writeRecord(dir, 'f', ecg, { format: 80 as 16 }), (e: unknown) => e instanceof OptionError && e.option === 'format');
    assert.deepEqual(readdirSync(dir).sort(), ['c.dat', 'c.hea']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every read format through a record: invalid values become NaN; format 8 integrates from the initial value', () => {
  const cases: { format: number; bytes: number[]; digital: number[]; init?: number }[] = [
    { format: 16, bytes: [0x02, 0x01, 0x00, 0x80], digital: [258, -32768] },
    { format: 61, bytes: [0x01, 0x02, 0x80, 0x00], digital: [258, -32768] },
    { format: 160, bytes: [0x00, 0x80, 0x00, 0x00], digital: [0, -32768] },
    { format: 80, bytes: [0x81, 0x00], digital: [1, -128] },
    { format: 24, bytes: [0x01, 0x02, 0x03, 0x00, 0x00, 0x80], digital: [0x030201, -(2 ** 23)] },
    { format: 32, bytes: [0xfe, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x80], digital: [-2, -(2 ** 31)] },
    { format: 212, bytes: [0x01, 0x83, 0x00], digital: [769, -2048] },
    { format: 310, bytes: [0x0a, 0x00, 0x00, 0x04], digital: [5, -512] },
    { format: 311, bytes: [0x05, 0x00, 0x08, 0x00], digital: [5, -512] },
    { format: 8, bytes: [0x05, 0xfe], digital: [105, 103], init: 100 },
  ];
  for (const c of cases) {
    const header = `r 1 100 2\nr.dat ${c.format} 10(1)/mV 12 0 ${c.init ?? 0} ${sum16(c.digital)} 0 II\n`;
    const path = rawRecord(header, { 'r.dat': c.bytes });
    try {
      const rec = readRecord(path);
      assert.deepEqual(Array.from(rec.digital[0]!), c.digital, `format ${c.format}`);
      assert.ok(rec.checksums[0]!.ok, `format ${c.format} checksum`);
      close(rec.ecg.signal[0]!, (c.digital[0]! - 1) / 10, 1e-3);
      assert.equal(Number.isNaN(rec.ecg.signal[1]!), c.format !== 8, `format ${c.format} invalid value`);
    } finally {
      cleanup(path);
    }
  }
});

test('16x1+24: a Challenge-style .mat prolog is skipped', () => {
  const prolog = Array.from({ length: 24 }, (_, i) => 0xa0 + i);
  const samples = [10, -20, 30, -40, 50, -60]; // 3 frames x 2 signals
  const bytes = [...prolog, ...encodeSamples(16, Int32Array.from(samples))];
  const header = `A0001 2 500 3 05-Feb-2020 11:39:16\nA0001.mat 16x1+24 1000/mV 16 0 10 ${sum16([10, 30, 50])} 0 I\nA0001.mat 16x1+24 1000/mV 16 0 -20 ${sum16([-20, -40, -60])} 0 II\n#Age: 74\n#Sex: Male\n#Dx: 426783006\n`;
  const path = rawRecord(header, { 'A0001.mat': bytes }, 'A0001');
  try {
    const rec = readRecord(path + '.hea');
    assert.deepEqual(Array.from(rec.digital[0]!), [10, 30, 50]);
    assert.deepEqual(Array.from(rec.digital[1]!), [-20, -40, -60]);
    assert.deepEqual([rec.ecg.meta.age, rec.ecg.meta.sex, rec.ecg.meta.labels], [74, 'M', ['426783006']]);
    close(rec.ecg.signal[1]!, 0.03);
  } finally {
    cleanup(path);
  }
});

test('several signal files with different formats; units in uV and V are converted to mV', () => {
  const a = [100, -200, 300];
  const b = [7, 8, 9];
  const header = `r 2 250 3\nr_a.dat 212 2(0)/uV 12 0 100 ${sum16(a)} 0 V1\nr_b.dat 16 4(1)/V 16 0 7 ${sum16(b)} 0 avl\n`;
  const path = rawRecord(header, { 'r_a.dat': encodeSamples(212, Int32Array.from(a)), 'r_b.dat': encodeSamples(16, Int32Array.from(b)) });
  try {
    const rec = readRecord(path);
    assert.deepEqual(rec.ecg.leads, ['V1', 'aVL']);
    assert.deepEqual(Array.from(rec.ecg.signal.subarray(0, 3)), [0.05, -0.1, 0.15].map(Math.fround));
    assert.deepEqual(Array.from(rec.ecg.signal.subarray(3)), [1500, 1750, 2000]);
  } finally {
    cleanup(path);
  }
});

test('samples per frame: equal counts raise fs; mixed counts average within each frame (like getvec)', () => {
  // two signals x2 each: frame = [a0 a1 b0 b1]
  const frames = [1, 2, 10, 20, 3, 4, 30, 40];
  let path = rawRecord(`r 2 100 2\nr.dat 16x2 1(0)/mV 16 0 1 ${sum16([1, 2, 3, 4])} 0 I\nr.dat 16x2 1(0)/mV 16 0 10 ${sum16([10, 20, 30, 40])} 0 II\n`, {
    'r.dat': encodeSamples(16, Int32Array.from(frames)),
  });
  try {
    const rec = readRecord(path);
    assert.equal(rec.ecg.fs, 200);
    assert.equal(rec.ecg.nSamples, 4);
    assert.deepEqual(Array.from(rec.ecg.signal), [1, 2, 3, 4, 10, 20, 30, 40]);
  } finally {
    cleanup(path);
  }
  // signal I x2, signal II x1: frame = [a0 a1 b0]
  path = rawRecord(`r 2 100 2\nr.dat 16x2 1(0)/mV 16 0 1 ${sum16([1, 3, 5, 7])} 0 I\nr.dat 16 1(0)/mV 16 0 10 ${sum16([10, 30])} 0 II\n`, {
    'r.dat': encodeSamples(16, Int32Array.from([1, 3, 10, 5, 7, 30])),
  });
  try {
    const rec = readRecord(path);
    assert.equal(rec.ecg.fs, 100);
    assert.deepEqual(Array.from(rec.ecg.signal), [2, 6, 10, 30]);
    assert.deepEqual(Array.from(rec.digital[0]!), [1, 3, 5, 7]);
  } finally {
    cleanup(path);
  }
});

test('skew: a skewed signal is read from later frames; frames past the end are missing', () => {
  const path = rawRecord(`r 2 100 3\nr.dat 16 1 16 0 1 0 0 I\nr.dat 16:1 1 16 0 0 0 0 II\n`, { 'r.dat': encodeSamples(16, Int32Array.from([1, 10, 2, 20, 3, 30])) });
  try {
    const rec = readRecord(path, { checksum: 'warn', onWarning: () => {} });
    assert.deepEqual(Array.from(rec.ecg.signal.subarray(0, 3)), [1, 2, 3]);
    const ii = Array.from(rec.ecg.signal.subarray(3));
    assert.deepEqual(ii.slice(0, 2), [20, 30]);
    assert.ok(Number.isNaN(ii[2]!));
  } finally {
    cleanup(path);
  }
});

test('an unknown sample count is taken from the signal file size (header with a UTF-8 BOM and CRLF lines)', () => {
  const path = rawRecord('\ufeffr 2 100\r\nr.dat 212\r\nr.dat 212\r\n', { 'r.dat': encodeSamples(212, Int32Array.from([1, 2, 3, 4, 5, 6])) });
  try {
    const rec = readRecord(path);
    assert.equal(rec.ecg.nSamples, 3);
    assert.deepEqual(Array.from(rec.digital[1]!), [2, 4, 6]);
    assert.equal(rec.checksums[0]!.expected, undefined);
    assert.equal(rec.checksums[0]!.ok, true);
  } finally {
    cleanup(path);
  }
});

test('checksum mismatch: a FormatError naming file and lead, or a warning with --checksum warn', () => {
  const path = rawRecord(`r 2 100 2\nr.dat 16 200 16 0 1 3 0 I\nr.dat 16 200 16 0 5 999 0 V2\n`, { 'r.dat': encodeSamples(16, Int32Array.from([1, 5, 2, 6])) });
  try {
    assert.throws(
      () => readRecord(path),
      (e: unknown) => e instanceof FormatError && e.file === path + '.dat' && e.field === 'checksum' && /lead V2 \(header 999, samples sum to 11\)/.test(e.message) && !/lead I\b/.test(e.message),
    );
    const warnings: string[] = [];
    const rec = readRecord(path, { checksum: 'warn', onWarning: (m) => warnings.push(m) });
    assert.deepEqual(rec.checksums, [
      { lead: 'I', expected: 3, actual: 3, ok: true },
      { lead: 'V2', expected: 999, actual: 11, ok: false },
    ]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /r\.dat.*V2/);
  } finally {
    cleanup(path);
  }
});

test('bad input: truncated signal file, missing file, unknown format, byte offset past the end', () => {
  let path = rawRecord('r 2 100 10\nr.dat 16\nr.dat 16\n', { 'r.dat': new Uint8Array(39) });
  try {
    assert.throws(() => readRecord(path), (e: unknown) => e instanceof FormatError && e.file === path + '.dat' && /truncated: .*10 frames of 2 samples in format 16 \(40 bytes\), the file has 39 bytes/.test(e.message));
  } finally {
    cleanup(path);
  }
  path = rawRecord('r 1 100 10\nmissing.dat 16\n', {});
  try {
    assert.throws(() => readRecord(path), (e: unknown) => e instanceof IoError && /missing\.dat: no such file/.test(e.message));
  } finally {
    cleanup(path);
  }
  path = rawRecord('r 1 100 10\nr.dat 509\n', { 'r.dat': new Uint8Array(20) });
  try {
    assert.throws(() => readRecord(path), (e: unknown) => e instanceof FormatError && e.file === path + '.hea' && /unknown or unsupported format 509 \(expected one of 0, 8, 16, .*, 508, 516, 524\)/.test(e.message));
  } finally {
    cleanup(path);
  }
  path = rawRecord('r 1 100 2\nr.dat 16+8\n', { 'r.dat': new Uint8Array(4) });
  try {
    assert.throws(() => readRecord(path), (e: unknown) => e instanceof FormatError && e.field === 'byte offset');
  } finally {
    cleanup(path);
  }
});

test('format 0: a signal without a file is all missing', () => {
  const path = rawRecord(`r 2 100 2\nr.dat 16 1 16 0 4 ${sum16([4, 5])} 0 I\n~ 0 1 12 0 0 0 0 II\n`, { 'r.dat': encodeSamples(16, Int32Array.from([4, 5])) });
  try {
    const rec = readRecord(path);
    assert.deepEqual(Array.from(rec.ecg.signal.subarray(0, 2)), [4, 5]);
    assert.ok(Array.from(rec.ecg.signal.subarray(2)).every(Number.isNaN));
  } finally {
    cleanup(path);
  }
});

test('multi-segment, fixed layout: segments concatenate, ~ gaps are NaN, each segment keeps its own gain', () => {
  const dir = tmp();
  try {
    const seg = (name: string, values: number[][], gain: number): void => {
      const n = values[0]!.length;
      writeRecord(dir, name, makeEcg({ signal: Float32Array.from(values.flat()), fs: 100, leads: ['I', 'II'], meta: { recordId: name } }), { gain });
      assert.equal(n, values[1]!.length);
    };
    seg('segA', [[0.1, 0.2, 0.3], [1, 2, 3]], 1000);
    seg('segB', [[-0.5, 0.5], [4, 5]], 100);
    writeFileSync(join(dir, 'm.hea'), 'm/3 2 100 9\nsegA 3\n~ 4\nsegB 2\n#<age>: 70\n');
    const rec = readRecord(join(dir, 'm'));
    assert.equal(rec.ecg.nSamples, 9);
    assert.deepEqual(rec.ecg.leads, ['I', 'II']);
    const lead = (l: number): (number | null)[] => Array.from(rec.ecg.signal.subarray(l * 9, (l + 1) * 9), (v) => (Number.isNaN(v) ? null : +v.toFixed(4)));
    assert.deepEqual(lead(0), [0.1, 0.2, 0.3, null, null, null, null, -0.5, 0.5]);
    assert.deepEqual(lead(1), [1, 2, 3, null, null, null, null, 4, 5]);
    assert.equal(rec.segments!.length, 2);
    assert.deepEqual(rec.checksums.map((c) => `${c.segment}:${c.lead}:${c.ok}`), ['segA:I:true', 'segA:II:true', 'segB:I:true', 'segB:II:true']);
    assert.equal(rec.ecg.meta.age, 70);
    assert.equal(rec.header.signals.length, 2);
    // A wrong sample count on a segment line, or on the record line, names the master header.
    writeFileSync(join(dir, 'bad.hea'), 'bad/2 2 100 6\nsegA 4\nsegB 2\n');
    assert.throws(() => readRecord(join(dir, 'bad')), (e: unknown) => e instanceof FormatError && e.file === join(dir, 'bad.hea') && /segment segA has 3 samples, the segment line says 4/.test(e.message));
    writeFileSync(join(dir, 'bad.hea'), 'bad/2 2 100 6\nsegA 3\nsegB 2\n');
    assert.throws(() => readRecord(join(dir, 'bad')), (e: unknown) => e instanceof FormatError && /segments hold 5 samples but the record line declares 6/.test(e.message));
    writeFileSync(join(dir, 'bad.hea'), 'bad/2 2 100 5\nsegA 3\nnope 2\n');
    assert.throws(() => readRecord(join(dir, 'bad')), (e: unknown) => e instanceof IoError && e.file === join(dir, 'nope.hea'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('multi-segment, variable layout: signals matched by name to the layout segment, absent ones NaN', () => {
  const dir = tmp();
  try {
    writeRecord(dir, 'segA', makeEcg({ signal: Float32Array.from([1, 2, 0.5, 0.25]), fs: 250, leads: ['II', 'V1'], meta: { recordId: 'a' } }));
    writeRecord(dir, 'segC', makeEcg({ signal: Float32Array.from([7, 8, 9]), fs: 250, leads: ['V1'], meta: { recordId: 'c' } }), { gain: 10 });
    writeFileSync(join(dir, 'v_layout.hea'), 'v_layout 2 250 0\n~ 0 200 12 0 0 0 0 II\n~ 0 200 12 0 0 0 0 V1\n');
    writeFileSync(join(dir, 'v.hea'), 'v/3 2 250 5\nv_layout 0\nsegA 2\nsegC 3\n');
    const rec = readRecord(join(dir, 'v.hea'));
    assert.deepEqual(rec.ecg.leads, ['II', 'V1']);
    const vals = Array.from(rec.ecg.signal, (v) => (Number.isNaN(v) ? null : v));
    assert.deepEqual(vals, [1, 2, null, null, null, 0.5, 0.25, 7, 8, 9]);
    writeRecord(dir, 'segD', makeEcg({ signal: Float32Array.from([1]), fs: 250, leads: ['V6'], meta: { recordId: 'd' } }));
    writeFileSync(join(dir, 'w.hea'), 'w/2 2 250 1\nv_layout 0\nsegD 1\n');
    assert.throws(() => readRecord(join(dir, 'w')), (e: unknown) => e instanceof FormatError && /segment segD has signal 'V6', which the layout \(II, V1\) lacks/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Frames [A, B0, B1, C] of the skew fixture: A is skewed by 2, B has 2 samples per frame and is skewed by 1, C is neither. */
const SKEW_FRAMES = [
  [1, 10, 11, 100],
  [2, 12, 13, 101],
  [3, 14, 15, 102],
  [4, 16, 17, 103],
  [5, 18, 19, 104],
  [6, 20, 21, 105],
];

test('skew: checksums cover the samples as stored in frames [0, nSamples), not the skew-shifted ones (also with 2 samples per frame)', () => {
  // Stored in frames 0-3: A 1+2+3+4 = 10, B 10+...+17 = 108, C 100+...+103 = 406.
  // Skew-shifted, A would sum 3+4+5+6 = 18 and B 12+...+19 = 124: a header with those must not verify.
  const header = (a: number, b: number): string => `s 3 100 4\ns.dat 16:2 1 16 0 3 ${a} 0 A\ns.dat 16x2:1 1 16 0 12 ${b} 0 B\ns.dat 16 1 16 0 100 406 0 C\n`;
  for (const frames of [6, 4]) {
    const bytes = encodeSamples(16, Int32Array.from(SKEW_FRAMES.slice(0, frames).flat()));
    const path = rawRecord(header(10, 108), { 's.dat': bytes }, 's');
    try {
      const rec = readRecord(path); // checksum 'error': throws unless the stored sums verify
      assert.deepEqual(rec.checksums.map((c) => [c.lead, c.expected, c.actual, c.ok]), [['A', 10, 10, true], ['B', 108, 108, true], ['C', 406, 406, true]]);
      assert.deepEqual(rec.warnings, []);
      // Sample t of A is frame t + 2, of B frame t + 1; frames the file lacks are missing (the invalid value).
      const a = frames === 6 ? [3, 4, 5, 6] : [3, 4, -32768, -32768];
      const b = frames === 6 ? [12, 13, 14, 15, 16, 17, 18, 19] : [12, 13, 14, 15, 16, 17, -32768, -32768];
      assert.deepEqual(Array.from(rec.digital[0]!), a);
      assert.deepEqual(Array.from(rec.digital[1]!), b);
      assert.deepEqual(Array.from(rec.digital[2]!), [100, 101, 102, 103]);
      // Mixed samples per frame: one value a frame, B's pair averaged and rounded half up like WFDB 10.7's getvec.
      assert.equal(rec.ecg.fs, 100);
      const phys = (l: number): (number | null)[] => Array.from(rec.ecg.signal.subarray(l * 4, l * 4 + 4), (v) => (Number.isNaN(v) ? null : v));
      assert.deepEqual(phys(1), frames === 6 ? [13, 15, 17, 19] : [13, 15, 17, null]);
    } finally {
      cleanup(path);
    }
    const wrong = rawRecord(header(18, 124), { 's.dat': bytes }, 's');
    try {
      assert.throws(() => readRecord(wrong), (e: unknown) => e instanceof FormatError && /leads A \(header 18, samples sum to 10\); B \(header 124, samples sum to 108\)/.test(e.message));
    } finally {
      cleanup(wrong);
    }
  }
});

test('samples per frame: a frame mean is rounded half up, and missing when any of its samples is (WFDB 10.7 getvec)', () => {
  // I x3 with frames [1 1 2] [-1 -1 -2] [-2 -3 -32768]; II x1.
  const path = rawRecord('r 2 100 3\nr.dat 16x3 1 16 0 1 0 0 I\nr.dat 16 1 16 0 0 0 0 II\n', {
    'r.dat': encodeSamples(16, Int32Array.from([1, 1, 2, 0, -1, -1, -2, 0, -2, -3, -32768, 0])),
  });
  try {
    const rec = readRecord(path, { checksum: 'warn', onWarning: () => {} });
    // (1+1+2)/3 = 1.33 -> 1; (-1-1-2)/3 = -1.33 -> -1; a missing sample makes the frame missing.
    assert.deepEqual(Array.from(rec.ecg.signal.subarray(0, 3), (v) => (Number.isNaN(v) ? null : v)), [1, -1, null]);
  } finally {
    cleanup(path);
  }
  const half = rawRecord('r 2 100 2\nr.dat 16x2 1 16 0 1 0 0 I\nr.dat 16 1 16 0 0 0 0 II\n', { 'r.dat': encodeSamples(16, Int32Array.from([1, 2, 0, -1, -2, 0])) });
  try {
    // 1.5 -> 2 and -1.5 -> -1: half up, not to even and not toward zero.
    assert.deepEqual(Array.from(readRecord(half, { checksum: 'warn', onWarning: () => {} }).ecg.signal.subarray(0, 2)), [2, -1]);
  } finally {
    cleanup(half);
  }
});

test('multi-segment: a record whose only segment is a gap is all NaN (with the layout\'s signals, or numbered ones)', () => {
  const dir = tmp();
  try {
    writeFileSync(join(dir, 'g.hea'), 'g/1 2 500 100\n~ 100\n');
    let rec = readRecord(join(dir, 'g'));
    assert.deepEqual([rec.ecg.fs, rec.ecg.nSamples, rec.ecg.leads], [500, 100, ['signal 0', 'signal 1']]);
    assert.ok(rec.ecg.signal.every((v) => Number.isNaN(v)));
    assert.deepEqual(rec.header.signals.map((s) => s.format), [0, 0]);
    assert.deepEqual(rec.segments, []);
    writeFileSync(join(dir, 'gl_layout.hea'), 'gl_layout 2 360 0\n~ 0 200/mV 16 0 0 0 0 II\n~ 0 200/mV 16 0 0 0 0 V5\n');
    writeFileSync(join(dir, 'gl.hea'), 'gl/3 2 360 30\ngl_layout 0\n~ 10\n~ 20\n');
    rec = readRecord(join(dir, 'gl'));
    assert.deepEqual([rec.ecg.fs, rec.ecg.nSamples, rec.ecg.leads], [360, 30, ['II', 'V5']]);
    assert.ok(rec.ecg.signal.every((v) => Number.isNaN(v)));
    writeFileSync(join(dir, 'g0.hea'), 'g0/1 0 500 5\n~ 5\n');
    assert.throws(() => readRecord(join(dir, 'g0')), (e: unknown) => e instanceof FormatError && e.file === join(dir, 'g0.hea') && /every segment is a gap/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
