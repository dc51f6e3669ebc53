// Property-based robustness: random and mutated headers, signal files and
// annotation files. Parsers may only fail with ecgx's typed errors, and must
// return (no hang: inputs are small and every loop is bounded by the input).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseHeader } from './header.js';
import { readRecord } from './record.js';
import { decodeAnnotations } from './annotations.js';
import { commentsToMeta } from './metadata.js';
import { EcgxError } from '../../util/errors.js';
import { LUDB_DIR, REPO_ROOT } from '../../../test/data-paths.js';

const LUDB = join(LUDB_DIR, 'data');

const RUNS = 300;

function onlyTypedErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof EcgxError)) throw e;
    assert.ok(e.message.length > 0 && !e.message.includes('\n'), 'one-line message');
  }
}

/** Replaces, inserts or deletes characters/bytes at random positions. */
function mutate<T>(items: readonly T[], edits: { pos: number; kind: number; value: T }[]): T[] {
  const out = [...items];
  for (const e of edits) {
    const p = out.length === 0 ? 0 : e.pos % (out.length + 1);
    if (e.kind === 0) out.splice(p, 1, e.value);
    else if (e.kind === 1) out.splice(p, 0, e.value);
    else out.splice(p, 1);
  }
  return out;
}

const HEADER = readFileSync(`${LUDB}/1.hea`, 'latin1');
const headerChars = fc.constantFrom(...' 0123456789-+x:/()#.\nabcmVu\t\r'.split(''));

test('fuzz: mutated and random headers parse or throw a typed error', () => {
  fc.assert(
    fc.property(fc.array(fc.record({ pos: fc.nat(), kind: fc.integer({ min: 0, max: 2 }), value: headerChars }), { maxLength: 12 }), (edits) => {
      onlyTypedErrors(() => parseHeader(mutate(HEADER.split(''), edits).join(''), 'm.hea'));
    }),
    { numRuns: RUNS, seed: 1 },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (text) => onlyTypedErrors(() => parseHeader(text, 'r.hea'))),
    { numRuns: RUNS, seed: 2 },
  );
  fc.assert(
    fc.property(fc.array(fc.array(headerChars, { maxLength: 20 }), { maxLength: 6 }), (lines) => {
      onlyTypedErrors(() => parseHeader(lines.map((l) => l.join('')).join('\n'), 'r.hea'));
    }),
    { numRuns: RUNS, seed: 3 },
  );
});

test('fuzz: records with random formats, frames, skews, offsets and truncated/mutated signal bytes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-fuzz-'));
  try {
    // Mostly well-formed layouts (one format per file, short records) so that
    // the decoders run, with unknown formats and odd layouts now and then.
    const known = fc.constantFrom(0, 8, 16, 24, 32, 61, 80, 160, 212, 310, 311);
    // FLAC formats with random bytes only test the refusals (the FLAC fuzz below mutates real streams).
    const format = fc.oneof({ weight: 9, arbitrary: known }, { weight: 1, arbitrary: fc.constantFrom(7, 509, 516) });
    const signal = fc.record({ spf: fc.oneof({ weight: 3, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 3 }) }), skew: fc.integer({ min: 0, max: 2 }), file: fc.integer({ min: 0, max: 1 }), checksum: fc.integer({ min: -40000, max: 40000 }) });
    let decoded = 0;
    fc.assert(
      fc.property(fc.array(signal, { minLength: 1, maxLength: 4 }), fc.tuple(format, format), fc.tuple(fc.nat({ max: 6 }), fc.nat({ max: 6 })), fc.integer({ min: 0, max: 8 }), fc.uint8Array({ maxLength: 300, size: 'max' }), fc.uint8Array({ maxLength: 150, size: 'max' }), (sigs, formats, offsets, n, bytes0, bytes1) => {
        const lines = [`f ${sigs.length} 100 ${n}`];
        for (const s of sigs) {
          lines.push(`f${s.file}.dat ${formats[s.file]}x${s.spf}:${s.skew}+${offsets[s.file]} 100(3)/mV 12 0 0 ${s.checksum} 0 V1`);
        }
        writeFileSync(join(dir, 'f.hea'), lines.join('\n'));
        writeFileSync(join(dir, 'f0.dat'), bytes0);
        writeFileSync(join(dir, 'f1.dat'), bytes1);
        onlyTypedErrors(() => {
          const rec = readRecord(join(dir, 'f'), { checksum: 'warn', onWarning: () => {} });
          assert.equal(rec.ecg.signal.length, rec.ecg.leads.length * rec.ecg.nSamples);
          decoded++;
        });
      }),
      { numRuns: RUNS, seed: 4 },
    );
    assert.ok(decoded > RUNS / 4, `only ${decoded} of ${RUNS} random records decoded: the generator should mostly make readable ones`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fuzz: a LUDB record with its signal file cut or bytes flipped fails typed or reads with checksum reports', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-fuzz-'));
  const hea = readFileSync(`${LUDB}/1.hea`);
  const dat = readFileSync(`${LUDB}/1.dat`);
  try {
    writeFileSync(join(dir, '1.hea'), hea);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: dat.length }), fc.array(fc.record({ pos: fc.nat({ max: dat.length - 1 }), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 4 }), (cut, flips) => {
        const bytes = Uint8Array.from(dat.subarray(0, cut));
        for (const f of flips) if (f.pos < bytes.length) bytes[f.pos] = f.value;
        writeFileSync(join(dir, '1.dat'), bytes);
        onlyTypedErrors(() => readRecord(join(dir, '1')));
      }),
      { numRuns: 60, seed: 5 },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fuzz: FLAC signal files with bytes flipped, cut or inserted decode or fail typed (no hang, no crash of the decoder thread)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-fuzz-'));
  const fix = join(REPO_ROOT, 'src/data/wfdb/fixtures');
  const dat = Array.from(readFileSync(join(fix, 'flacmux.dat')));
  try {
    writeFileSync(join(dir, 'flacmux.hea'), readFileSync(join(fix, 'flacmux.hea')));
    let read = 0;
    fc.assert(
      fc.property(fc.array(fc.record({ pos: fc.nat(), kind: fc.integer({ min: 0, max: 2 }), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 4 }), (edits) => {
        writeFileSync(join(dir, 'flacmux.dat'), Uint8Array.from(mutate(dat, edits)));
        onlyTypedErrors(() => {
          const rec = readRecord(join(dir, 'flacmux'), { checksum: 'warn', onWarning: () => {} });
          assert.equal(rec.ecg.signal.length, 2 * rec.ecg.nSamples);
          read++;
        });
      }),
      { numRuns: 100, seed: 9 },
    );
    assert.ok(read > 0, 'the unmutated and harmlessly mutated streams read');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fuzz: random and mutated annotation bytes decode or throw a typed error', () => {
  const real = Array.from(readFileSync(`${LUDB}/1.ii`));
  fc.assert(
    fc.property(fc.array(fc.record({ pos: fc.nat(), kind: fc.integer({ min: 0, max: 2 }), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 8 }), (edits) => {
      onlyTypedErrors(() => decodeAnnotations(Uint8Array.from(mutate(real, edits)), '1.ii'));
    }),
    { numRuns: RUNS, seed: 6 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => onlyTypedErrors(() => decodeAnnotations(bytes, 'r.atr'))),
    { numRuns: RUNS, seed: 7 },
  );
});

test('pathological inputs: long tokens and comments parse in linear time; absurd sample counts are refused before allocating', () => {
  const long = '1'.repeat(200_000);
  onlyTypedErrors(() => parseHeader(`r 1 ${long}x\n`, 'r.hea'));
  onlyTypedErrors(() => parseHeader(`r 1 500 10\nr.dat 16 ${long}.${long}e\n`, 'r.hea'));
  const h = parseHeader(`# ${'a '.repeat(100_000)}\n#${' '.repeat(100_000)}x\nr 0\n`, 'r.hea');
  assert.equal(h.comments.length, 2);
  const meta = commentsToMeta([...h.comments, `${'a '.repeat(100_000)}:`, `<${' '.repeat(100_000)}`], 'r');
  assert.equal(Object.keys(meta.extra ?? {}).length, 1);
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-fuzz-'));
  try {
    writeFileSync(join(dir, 'big.hea'), 'big 2 500 999999999999\nbig.dat 16\n~ 0x1000\n');
    writeFileSync(join(dir, 'big.dat'), new Uint8Array(8));
    assert.throws(() => readRecord(join(dir, 'big')), (e: unknown) => e instanceof EcgxError && /more than ecgx reads at once/.test(e.message));
    writeFileSync(join(dir, 'zero.hea'), 'zero 1 500 99999999\n~ 0\n');
    assert.throws(() => readRecord(join(dir, 'zero')), (e: unknown) => e instanceof EcgxError && /every signal is format 0/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** null (use the consistent value) four times in five, else a random override. */
function rarely<T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: a });
}

test('fuzz: multi-segment headers naming real, missing, gap and self segments', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-fuzz-'));
  try {
    writeFileSync(join(dir, 'segA.hea'), 'segA 2 100 3\nsegA.dat 16 100 16 0 1 6 0 I\nsegA.dat 16 100 16 0 1 6 0 II\n');
    writeFileSync(join(dir, 'segA.dat'), Uint8Array.from([1, 0, 1, 0, 2, 0, 2, 0, 3, 0, 3, 0]));
    writeFileSync(join(dir, 'segB.hea'), 'segB 1 100 2\nsegB.dat 212 100 12 0 5 9 0 V1\n');
    writeFileSync(join(dir, 'segB.dat'), Uint8Array.from([5, 0x40, 0]));
    writeFileSync(join(dir, 'lay.hea'), 'lay 3 100 0\n~ 0 100 12 0 0 0 0 I\n~ 0 100 12 0 0 0 0 II\n~ 0 100 12 0 0 0 0 V1\n');
    const LENGTH: Record<string, number> = { segA: 3, segB: 2 };
    const part = fc.record({ name: fc.constantFrom('segA', 'segA', 'segB', 'segB', '~', '~', 'm', 'nope', 'lay'), exact: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }), n: fc.integer({ min: 0, max: 4 }) });
    let decoded = 0;
    fc.assert(
      // Mostly consistent headers (true segment lengths, layout first, right
      // totals) so that some records read, with wrong counts now and then.
      fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), fc.boolean(), rarely(fc.integer({ min: 0, max: 3 })), rarely(fc.integer({ min: 0, max: 12 })), (parts, useLayout, nsigOverride, nOverride) => {
        const lines = parts.map((p) => `${p.name} ${p.exact && LENGTH[p.name] !== undefined ? LENGTH[p.name] : p.n}`);
        if (useLayout) lines.unshift('lay 0');
        const total = lines.slice(useLayout ? 1 : 0).reduce((a, l) => a + Number(l.split(' ')[1]), 0);
        const nsig = nsigOverride ?? (useLayout ? 3 : parts.find((p) => p.name === 'segB') && !parts.find((p) => p.name === 'segA') ? 1 : 2);
        writeFileSync(join(dir, 'm.hea'), [`m/${lines.length} ${nsig} 100 ${nOverride ?? total}`, ...lines].join('\n'));
        onlyTypedErrors(() => {
          const rec = readRecord(join(dir, 'm'));
          assert.equal(rec.ecg.signal.length, rec.ecg.leads.length * rec.ecg.nSamples);
          decoded++;
        });
      }),
      { numRuns: RUNS, seed: 8 },
    );
    assert.ok(decoded >= RUNS / 20, `only ${decoded} of ${RUNS} multi-segment records decoded`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
