import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { annotationsToWaves, decodeAnnotations, encodeAnnotations, readAnnotations, wavesToAnnotations, writeAnnotations, type Annotation } from './annotations.js';
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
  const many = [ann(0, '"', { aux: 'ünïcode note' }), ann(0, 'N'), ann(1023, 'A', { num: -5 }), ann(1024, '[', { chan: 255 }), ann(5_000_000, ']', { subtype: 127 })];
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
