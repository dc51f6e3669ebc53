import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeNpy, encodeNpy } from './npy.js';
import { FormatError } from './errors.js';

test('npy: encode/decode round trip keeps shape and values, data 64-byte aligned', () => {
  const data = Float32Array.from({ length: 24 }, (_, i) => i * 0.5 - 3);
  const bytes = encodeNpy({ data, shape: [2, 3, 4] });
  const header = new TextDecoder().decode(bytes.subarray(10, 10 + new DataView(bytes.buffer).getUint16(8, true)));
  assert.equal((10 + header.length) % 64, 0);
  assert.match(header, /'descr': '<f4', 'fortran_order': False, 'shape': \(2, 3, 4\)/);
  const back = decodeNpy(bytes);
  assert.deepEqual(back.shape, [2, 3, 4]);
  assert.deepEqual(Array.from(back.data), Array.from(data));
});

test('npy: 1-D shape written with the trailing comma numpy expects', () => {
  const bytes = encodeNpy({ data: new Float32Array(3), shape: [3] });
  assert.match(new TextDecoder().decode(bytes.subarray(10, 80)), /'shape': \(3,\)/);
});

test('npy: float64 input is converted; truncated data and bad magic are FormatErrors naming the file', () => {
  // Hand-made float64 .npy of [1.5, -2.25]
  const header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
  const padded = header + ' '.repeat(128 - 10 - header.length - 1) + '\n';
  const bytes = new Uint8Array(10 + padded.length + 16);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(bytes.buffer).setUint16(8, padded.length, true);
  bytes.set(new TextEncoder().encode(padded), 10);
  new DataView(bytes.buffer).setFloat64(128, 1.5, true);
  new DataView(bytes.buffer).setFloat64(136, -2.25, true);
  assert.deepEqual(Array.from(decodeNpy(bytes).data), [1.5, -2.25]);
  assert.throws(() => decodeNpy(bytes.subarray(0, 134), 'x.npy'), (e: unknown) => e instanceof FormatError && /x\.npy: truncated data/.test(e.message));
  assert.throws(() => decodeNpy(new Uint8Array(20), 'y.npy'), (e: unknown) => e instanceof FormatError && /y\.npy/.test(e.message));
});
