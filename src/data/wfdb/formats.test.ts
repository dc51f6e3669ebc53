import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bytesForSamples, decodeSamples, digitalRange, encodeSamples, invalidValue, samplesInBytes, WRITE_FORMATS } from './formats.js';

function decode(format: number, bytes: number[], n: number): number[] {
  const out = new Int32Array(n);
  decodeSamples(format, Uint8Array.from(bytes), n, out);
  return Array.from(out);
}

test('format 16: little-endian two\'s complement; -32768 is the invalid value', () => {
  assert.deepEqual(decode(16, [0x02, 0x01, 0xfe, 0xff, 0x00, 0x80, 0xff, 0x7f], 4), [258, -2, -32768, 32767]);
  assert.equal(invalidValue(16), -32768);
});

test('format 61: big-endian 16-bit', () => {
  assert.deepEqual(decode(61, [0x01, 0x02, 0xff, 0xfe], 2), [258, -2]);
});

test('format 160: 16-bit offset binary', () => {
  assert.deepEqual(decode(160, [0x00, 0x80, 0x01, 0x00, 0xff, 0xff, 0x00, 0x00], 4), [0, -32767, 32767, -32768]);
});

test('format 80: 8-bit offset binary; byte 0 is the invalid value -128', () => {
  assert.deepEqual(decode(80, [0x80, 0x00, 0xff, 0x81], 4), [0, -128, 127, 1]);
  assert.equal(invalidValue(80), -128);
});

test('format 8: stored bytes are signed first differences', () => {
  assert.deepEqual(decode(8, [0x05, 0xfe, 0x80, 0x7f], 4), [5, -2, -128, 127]);
});

test('format 24 and 32: little-endian two\'s complement', () => {
  assert.deepEqual(decode(24, [0x01, 0x02, 0x03, 0xff, 0xff, 0xff, 0x00, 0x00, 0x80], 3), [0x030201, -1, -(2 ** 23)]);
  assert.deepEqual(decode(32, [0x01, 0x02, 0x03, 0x04, 0xfe, 0xff, 0xff, 0xff], 2), [0x04030201, -2]);
  assert.equal(invalidValue(24), -(2 ** 23));
  assert.equal(invalidValue(32), -(2 ** 31));
});

test('format 212: two 12-bit samples in 3 bytes, the middle byte holds both high nibbles', () => {
  // s0 = 0x01 | 0x3 << 8 = 769; s1 = 0x45 | 0x2 << 8 = 581; s2 = 0x10 | 0xf << 8 = 0xf10 = -240
  assert.deepEqual(decode(212, [0x01, 0x23, 0x45, 0x10, 0x0f], 3), [769, 581, -240]);
  assert.deepEqual(decode(212, [0xff, 0xff, 0xff, 0x00, 0x08, 0x00], 4), [-1, -1, -2048, 0]);
  assert.deepEqual(decode(212, [0x00, 0x80, 0x00], 2), [0, -2048]);
  assert.equal(bytesForSamples(212, 3), 5);
  assert.equal(samplesInBytes(212, 5), 3);
  assert.equal(samplesInBytes(212, 4), 2);
});

test('format 310: three 10-bit samples in two 16-bit words (bits 1-10, and the 5-bit tops)', () => {
  // 5, -3, 300: w0 = 5<<1 | (300 & 31)<<11 = 0x600a, w1 = (0x3fd)<<1 | (300>>5)<<11 = 0x4ffa
  assert.deepEqual(decode(310, [0x0a, 0x60, 0xfa, 0x4f], 3), [5, -3, 300]);
  assert.deepEqual(decode(310, [0x0a, 0x60, 0xfa, 0x4f], 2), [5, -3]);
  assert.deepEqual(decode(310, [0x00, 0x04, 0x00, 0x00], 1), [-512]);
  assert.equal(bytesForSamples(310, 4), 6);
  assert.equal(invalidValue(310), -512);
});

test('format 311: three 10-bit samples in bits 0-9, 10-19, 20-29 of a 32-bit word', () => {
  // 5 | 0x3fd << 10 | 300 << 20 = 0x12cff405
  assert.deepEqual(decode(311, [0x05, 0xf4, 0xcf, 0x12], 3), [5, -3, 300]);
  assert.deepEqual(decode(311, [0x05, 0xf4, 0xcf], 2), [5, -3]);
  assert.equal(bytesForSamples(311, 2), 3);
  assert.equal(samplesInBytes(311, 3), 2);
});

test('encodeSamples produces the hand-made byte vectors', () => {
  assert.deepEqual(Array.from(encodeSamples(212, Int32Array.from([769, 581, -240]))), [0x01, 0x23, 0x45, 0x10, 0x0f]);
  assert.deepEqual(Array.from(encodeSamples(310, Int32Array.from([5, -3, 300]))), [0x0a, 0x60, 0xfa, 0x4f]);
  assert.deepEqual(Array.from(encodeSamples(311, Int32Array.from([5, -3, 300]))), [0x05, 0xf4, 0xcf, 0x12]);
  assert.deepEqual(Array.from(encodeSamples(8, Int32Array.from([105, 103, -25]), 100)), [0x05, 0xfe, 0x80]);
  assert.deepEqual(Array.from(encodeSamples(160, Int32Array.from([0, -32767]))), [0x00, 0x80, 0x01, 0x00]);
});

test('every writable format: decode(encode(x)) = x for values in range, any length', () => {
  for (const format of WRITE_FORMATS) {
    const [lo, hi] = digitalRange(format);
    const sample = format === 8 ? fc.integer({ min: -60, max: 60 }) : fc.oneof(fc.integer({ min: lo, max: hi }), fc.constant(invalidValue(format)));
    fc.assert(
      fc.property(fc.array(sample, { maxLength: 40 }), (values) => {
        let x = Int32Array.from(values);
        if (format === 8) {
          // absolute values whose steps fit in a byte
          let acc = 0;
          x = x.map((d) => (acc += d));
        }
        const bytes = encodeSamples(format, x);
        assert.equal(bytes.length, bytesForSamples(format, x.length));
        assert.equal(samplesInBytes(format, bytes.length) >= x.length, true);
        const back = new Int32Array(x.length);
        decodeSamples(format, bytes, x.length, back);
        if (format === 8) for (let i = 1; i < back.length; i++) back[i] += back[i - 1]!;
        assert.deepEqual(Array.from(back), Array.from(x), `format ${format}`);
      }),
      { numRuns: 150, seed: 7 },
    );
  }
});

test('decoding does not depend on the byte alignment of the buffer (native fast paths vs byte loops)', () => {
  const values = Int32Array.from([1, -2, 32767, -32768, 258, -300, 77]);
  for (const format of [8, 16, 32, 61, 160, 212, 310, 311] as const) {
    const x = format === 8 ? Int32Array.from([1, -1, 126, -2, 3, 3, 12]) : format >= 212 ? values.map((v) => Math.max(-500, Math.min(500, v))) : values;
    const bytes = encodeSamples(format, x);
    for (const shift of [0, 1, 2, 3]) {
      const padded = new Uint8Array(bytes.length + shift);
      padded.set(bytes, shift);
      const out = new Int32Array(x.length);
      decodeSamples(format, padded.subarray(shift), x.length, out);
      if (format === 8) for (let i = 1; i < out.length; i++) out[i] += out[i - 1]!;
      assert.deepEqual(Array.from(out), Array.from(x), `format ${format} shift ${shift}`);
    }
  }
});
