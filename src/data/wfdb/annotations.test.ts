import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { annotationsToWaves, decodeAnnotationFile, decodeAnnotations, encodeAnnotations, readAnnotationFile, readAnnotations, wavesToAnnotations, writeAnnotations, type Annotation } from './annotations.js';
import { FormatError, IoError } from '../../util/errors.js';
import type { WaveInterval } from '../ecg.js';
import { LUDB_DIR } from '../../../test/data-paths.js';

const LUDB = join(LUDB_DIR, 'data');

const LUDB_LEADS = ['i', 'ii', 'iii', 'avr', 'avl', 'avf', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6'];

const ann = (sample: number, symbol: string, more: Partial<Annotation> = {}): Annotation => ({ sample, symbol, subtype: 0, chan: 0, num: 0, aux: '', ...more });

// N at 5 with SUB -1; SKIP 2000 then V with CHN 3, NUM 2, AUX '(AFIB'; '(' 3 later inherits chan and num; SKIP 70000 then t.
const BYTES = [
  0x05, 0x04, 0xff, 0xf7,
  0x00, 0xec, 0x00, 0x00, 0xd0, 0x07, 0x00, 0x14, 0x03, 0xf8, 0x02, 0xf0, 0x05, 0xfc, 0x28, 0x41, 0x46, 0x49, 0x42, 0x00,
  0x03, 0x9c,
  0x00, 0xec, 0x01, 0x00, 0x70, 0x11, 0x00, 0x6c,
  0x00, 0x00,
];
const ANNS = [
  ann(5, 'N', { subtype: -1 }),
  ann(2005, 'V', { chan: 3, num: 2, aux: '(AFIB' }),
  ann(2008, '(', { chan: 3, num: 2 }),
  ann(72008, 't', { chan: 3, num: 2 }),
];

test('MIT annotation bytes with known answers: codes, SKIP (PDP-11 word order), SUB, CHN, NUM, AUX', () => {
  assert.deepEqual(decodeAnnotations(Uint8Array.from(BYTES), 'x.atr'), ANNS);
});

test('encodeAnnotations writes the same bytes, and decode(encode(a)) = a', () => {
  assert.deepEqual(Array.from(encodeAnnotations(ANNS)), BYTES);
  // (A NOTE at sample 0 would be read back as a header-block note: this one is at sample 1.)
  const many = [ann(0, 'N'), ann(1, '"', { aux: 'ünïcode note' }), ann(1023, 'A', { num: -5 }), ann(1024, '[', { chan: 255 }), ann(5_000_000, ']', { subtype: 127 })];
  assert.deepEqual(decodeAnnotations(encodeAnnotations(many), 'm'), many);
});

test('readAnnotations / writeAnnotations go through <record>.<extension>', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-ann-'));
  try {
    writeAnnotations(join(dir, 'rec'), 'atr', ANNS);
    assert.deepEqual(readAnnotations(join(dir, 'rec.hea'), 'atr'), ANNS);
    assert.throws(() => readAnnotations(join(dir, 'rec'), 'qrs'), (e: unknown) => e instanceof IoError && e.file === join(dir, 'rec.qrs'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('truncated annotation files are FormatErrors naming the file and what was expected', () => {
  const cases: [number[], RegExp][] = [
    [BYTES.slice(0, -2), /without the end-of-file word/],
    [BYTES.slice(0, 9), /truncated at byte 8 of 9: expected the low half of a SKIP interval/],
    [BYTES.slice(0, 20), /expected 5 bytes of auxiliary text/],
    [BYTES.slice(0, 3), /truncated at byte 2 of 3: expected a 16-bit annotation word/],
    [[0x03, 0xf8, 0, 0], /precedes any annotation/],
  ];
  for (const [bytes, re] of cases) {
    assert.throws(() => decodeAnnotations(Uint8Array.from(bytes), 'cut.atr'), (e: unknown) => e instanceof FormatError && e.file === 'cut.atr' && re.test(e.message), re.source);
  }
});

test('LUDB record 1 lead II: plausible P/QRS/T intervals, heart rate of the sinus bradycardia it is labelled with', () => {
  const waves = annotationsToWaves(readAnnotations(`${LUDB}/1`, 'ii'));
  const qrs = waves.filter((w) => w.wave === 'QRS');
  // The cardiologists annotated the beats between 1.3 s and 8 s: 6 QRS, 5 P and 5 T waves.
  assert.equal(qrs.length, 6);
  assert.equal(waves.filter((w) => w.wave === 'P').length, 5);
  assert.equal(waves.filter((w) => w.wave === 'T').length, 5);
  for (const w of waves) assert.ok(w.onset < w.peak! && w.peak! < w.offset, JSON.stringify(w));
  for (let i = 1; i < waves.length; i++) assert.ok(waves[i]!.onset >= waves[i - 1]!.offset, 'waves do not overlap');
  // P before QRS before T within each beat (500 Hz: PR <= 0.3 s, QT <= 0.6 s).
  for (const q of qrs.slice(1)) {
    const p = waves.find((w) => w.wave === 'P' && w.offset <= q.onset && q.onset - w.onset <= 150);
    assert.ok(p, `P wave before QRS at ${q.onset}`);
  }
  for (const q of qrs.slice(0, -1)) {
    const t = waves.find((w) => w.wave === 'T' && w.onset >= q.offset && w.offset - q.onset <= 300);
    assert.ok(t, `T wave after QRS at ${q.onset}`);
  }
  const rr = qrs.slice(1).map((q, i) => (q.peak! - qrs[i]!.peak!) / 500);
  const hr = 60 / (rr.reduce((a, b) => a + b, 0) / rr.length);
  assert.ok(hr > 40 && hr < 60, `heart rate ${hr} bpm (the header says sinus bradycardia)`);
});

test('LUDB: wave counts over all 2,400 annotation files match the database description', () => {
  const counts = { P: 0, QRS: 0, T: 0 };
  for (let r = 1; r <= 200; r++) {
    for (const lead of LUDB_LEADS) for (const w of annotationsToWaves(readAnnotations(`${LUDB}/${r}`, lead))) counts[w.wave]++;
  }
  // LUDB's README: 16797 P, 21966 QRS, 19666 T waves over all leads. A handful of
  // spans in the files lack a peak symbol and are dropped.
  for (const [k, want] of [['P', 16797], ['QRS', 21966], ['T', 19666]] as const) {
    assert.ok(Math.abs(counts[k] - want) / want < 0.002, `${k}: ${counts[k]} vs ${want}`);
  }
});

test('annotationsToWaves: paced beats without onset use the peak; spans without a single peak are dropped', () => {
  const waves = annotationsToWaves([ann(10, 'N'), ann(40, ')'), ann(50, '('), ann(60, ')'), ann(70, '('), ann(80, 'p'), ann(85, 't'), ann(90, ')'), ann(98, 'N'), ann(100, '('), ann(130, ')')]);
  assert.deepEqual(waves, [
    { wave: 'QRS', onset: 10, peak: 10, offset: 40 },
    { wave: 'QRS', onset: 98, peak: 98, offset: 130 },
  ]);
});

test('wavesToAnnotations -> annotationsToWaves round trip, in onset order', () => {
  const waves: WaveInterval[] = [
    { wave: 'T', onset: 300, peak: 350, offset: 400 },
    { wave: 'P', onset: 100, peak: 120, offset: 140 },
    { wave: 'QRS', onset: 140, offset: 180 },
  ];
  const anns = wavesToAnnotations(waves, 2);
  assert.deepEqual(anns.map((a) => `${a.symbol}${a.sample}`), ['(100', 'p120', ')140', '(140', 'N160', ')180', '(300', 't350', ')400']);
  assert.ok(anns.every((a) => a.chan === 2));
  const back = annotationsToWaves(decodeAnnotations(encodeAnnotations(anns), 'w'));
  assert.deepEqual(back, [waves[1], { ...waves[2], peak: 160 }, waves[0]]);
});

/** A little-endian annotation word: code in the top 6 bits, data in the low 10. */
const word = (code: number, data: number): number[] => {
  const w = (code << 10) | (data & 0x3ff);
  return [w & 0xff, w >> 8];
};
/** AUX pseudo-annotation: length word, the bytes, a pad byte to keep words aligned. */
const auxBytes = (text: string): number[] => {
  const b = [...Buffer.from(text, 'utf8')];
  return [...word(63, b.length), ...b, ...(b.length & 1 ? [0] : [])];
};
/** NOTE (code 22) at interval 0 with aux text: the header block's entries. */
const note = (text: string): number[] => [...word(22, 0), ...auxBytes(text)];
/** The null annotation ending a block, as WFDB's putann writes it: SKIP -1 (0xffffffff, high word first), then code 0 one tick later. */
const NULL_ANNOTATION = [...word(59, 0), 0xff, 0xff, 0xff, 0xff, ...word(0, 1)];
const HEADER_BLOCK = [
  ...note('## time resolution: 1000'),
  ...note('## annotation type definitions'),
  ...note('15 c calibration pulse'),
  ...note('42 CAL Calibration'),
  ...note('## end of definitions'),
  ...NULL_ANNOTATION,
  ...note('gqrs -r 100'),
  ...word(1, 1000), // N at tick 1000
  ...word(15, 1000), // code 15 at 2000
  ...word(42, 500), // code 42 at 2500
  ...word(22, 0), ...auxBytes('a late note'), // NOTE at 2500: past the block, an ordinary annotation
  0, 0,
];
const LABELS = [
  { code: 15, symbol: 'c', description: 'calibration pulse' },
  { code: 42, symbol: 'CAL', description: 'Calibration' },
];

test('annotation header block: time resolution, custom labels, program notes and the null annotation are consumed and applied', () => {
  const f = decodeAnnotationFile(Uint8Array.from(HEADER_BLOCK), 'h.atr');
  assert.equal(f.timeResolution, 1000);
  assert.equal(f.fs, 1000);
  assert.deepEqual(f.customLabels, LABELS);
  assert.deepEqual(f.notes, ['gqrs -r 100']);
  assert.deepEqual(f.annotations, [ann(1000, 'N'), ann(2000, 'c'), ann(2500, 'CAL'), ann(2500, '"', { aux: 'a late note' })]);
  // Converted to a record read at 250 Hz: ticks of 1 ms -> samples of 4 ms, rounded half up.
  const at250 = decodeAnnotationFile(Uint8Array.from(HEADER_BLOCK), 'h.atr', { fs: 250, frameRate: 250 });
  assert.deepEqual(at250.annotations.map((a) => a.sample), [250, 500, 625, 625]);
  assert.equal(at250.fs, 250);
  // The WFDB library writes the same bytes (its put_ann_table order), and they read back.
  const written = encodeAnnotations(f.annotations, { timeResolution: 1000, customLabels: LABELS, notes: ['gqrs -r 100'] });
  assert.deepEqual(Array.from(written), HEADER_BLOCK);
  // decodeAnnotations: the block consumed, samples as stored.
  assert.deepEqual(decodeAnnotations(Uint8Array.from(HEADER_BLOCK), 'h.atr').map((a) => a.symbol), ['N', 'c', 'CAL', '"']);
});

test('annotation header block edge cases: labels with a trailing newline, a block of notes only, NOTEs that are not part of a block', () => {
  // As PhysioNet's 1003.atr stores them: a definition ending in '\n', then a code-17 annotation.
  let f = decodeAnnotationFile(Uint8Array.from([...note('17 # pressure line flushed\n'), ...NULL_ANNOTATION, ...word(17, 7), 0, 0]), 'x.atr');
  assert.deepEqual(f.customLabels, [{ code: 17, symbol: '#', description: 'pressure line flushed' }]);
  assert.deepEqual(f.annotations, [ann(7, '#')]);
  // A program note alone (PhysioNet's 100.qrs): consumed, no null annotation needed.
  f = decodeAnnotationFile(Uint8Array.from([...note('gqrs -r 100'), ...word(1, 64), 0, 0]), 'x.qrs');
  assert.deepEqual([f.notes, f.annotations, f.timeResolution, f.fs], [['gqrs -r 100'], [ann(64, 'N')], undefined, undefined]);
  // A beat at sample 0 ends the block: a NOTE after it is ordinary; so is a NOTE with a subtype, and a label code past 49 is a note.
  f = decodeAnnotationFile(Uint8Array.from([...note('60 X too high'), ...word(1, 0), ...note('after the beat'), ...word(22, 3), ...word(61, 2), ...auxBytes('sub'), 0, 0]), 'x.atr');
  assert.deepEqual(f.notes, ['60 X too high']);
  assert.deepEqual(f.annotations, [ann(0, 'N'), ann(0, '"', { aux: 'after the beat' }), ann(3, '"', { subtype: 2, aux: 'sub' })]);
  assert.throws(() => decodeAnnotationFile(Uint8Array.from([...note('## time resolution: 0'), 0, 0]), 'z.atr'), (e: unknown) => e instanceof FormatError && e.file === 'z.atr' && /time resolution '0'/.test(e.message));
});

test('readAnnotationFile converts samples to the rate ecgx reads the record at, from its header', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-ann-'));
  try {
    writeFileSync(join(dir, 'h.atr'), Uint8Array.from(HEADER_BLOCK));
    // No header: as stored, at the time resolution.
    assert.deepEqual(readAnnotationFile(join(dir, 'h'), 'atr').annotations.map((a) => a.sample), [1000, 2000, 2500, 2500]);
    writeFileSync(join(dir, 'h.hea'), 'h 1 250 3000\nh.dat 16\n');
    assert.deepEqual(readAnnotations(join(dir, 'h'), 'atr').map((a) => a.sample), [250, 500, 625, 625]);
    // Without a time resolution, samples are frames; 4 samples per frame on every signal make ecgx's rate 4 x 100 Hz.
    writeFileSync(join(dir, 'k.hea'), 'k 1 100 10\nk.dat 16x4\n');
    writeFileSync(join(dir, 'k.atr'), Uint8Array.from([...word(1, 10), 0, 0]));
    const k = readAnnotationFile(join(dir, 'k'), 'atr');
    assert.deepEqual([k.annotations[0]!.sample, k.fs], [40, 400]);
    // Custom labels survive writeAnnotations -> readAnnotations.
    writeAnnotations(join(dir, 'w'), 'atr', [ann(5, 'c'), ann(9, 'N')], { customLabels: LABELS });
    const w = readAnnotationFile(join(dir, 'w'), 'atr');
    assert.deepEqual([w.annotations, w.customLabels], [[ann(5, 'c'), ann(9, 'N')], LABELS]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
