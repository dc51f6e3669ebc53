import { readFileSync } from 'node:fs';
import { FormatError, asIoError, fsErrorCode } from './errors.js';
import { writeFileAtomic } from './atomic-write.js';

/** A dense float32 array with its shape, C order. */
export interface NdArray {
  data: Float32Array;
  shape: number[];
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/**
 * Decodes a NumPy `.npy` file (format 1.0-3.0). float32/float64/int32/int64/
 * int16/uint8 little-endian in C order are accepted and returned as float32,
 * the dtype ecgx's models take; Fortran order and other dtypes are rejected.
 */
export function decodeNpy(bytes: Uint8Array, file = '<npy>'): NdArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new FormatError(file, 'not a .npy file (expected the \\x93NUMPY magic string)');
  }
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new FormatError(file, 'truncated .npy header');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new FormatError(file, `unsupported .npy version ${major} (expected 1, 2 or 3)`);
  }
  if (headerStart + headerLen > bytes.length) throw new FormatError(file, 'truncated .npy header');
  const header = new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new FormatError(file, `malformed .npy header dictionary: ${header.trim()}`, { field: 'header' });
  }
  if (fortran === 'True') throw new FormatError(file, 'Fortran-order arrays are not supported (expected C order)', { field: 'fortran_order' });
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const n = Number(s.replace(/L$/, ''));
      if (!Number.isInteger(n) || n < 0) throw new FormatError(file, `bad dimension '${s}' in shape`, { field: 'shape' });
      return n;
    });
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLen;
  const readers: Record<string, [number, (o: number) => number]> = {
    '<f4': [4, (o) => view.getFloat32(o, true)],
    '<f8': [8, (o) => view.getFloat64(o, true)],
    '<i4': [4, (o) => view.getInt32(o, true)],
    '<i8': [8, (o) => Number(view.getBigInt64(o, true))],
    '<i2': [2, (o) => view.getInt16(o, true)],
    '|u1': [1, (o) => view.getUint8(o)],
    '<u1': [1, (o) => view.getUint8(o)],
  };
  const reader = readers[descr];
  if (!reader) throw new FormatError(file, `unsupported dtype '${descr}' (expected one of ${Object.keys(readers).join(', ')})`, { field: 'descr' });
  const [size, get] = reader;
  if (bytes.length < dataStart + count * size) {
    throw new FormatError(file, `truncated data: shape (${shape.join(', ')}) needs ${count * size} bytes, file has ${bytes.length - dataStart}`);
  }
  const data = new Float32Array(count);
  if (descr === '<f4' && (bytes.byteOffset + dataStart) % 4 === 0) {
    data.set(new Float32Array(bytes.buffer, bytes.byteOffset + dataStart, count));
  } else {
    for (let i = 0; i < count; i++) data[i] = get(dataStart + i * size);
  }
  return { data, shape };
}

/** Encodes a float32 C-order array as `.npy` version 1.0. */
export function encodeNpy(arr: NdArray): Uint8Array {
  const count = arr.shape.reduce((a, b) => a * b, 1);
  if (count !== arr.data.length) throw new RangeError(`encodeNpy: shape (${arr.shape.join(', ')}) has ${count} elements, data has ${arr.data.length}`);
  const shapeText = arr.shape.length === 1 ? `${arr.shape[0]},` : arr.shape.join(', ');
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shapeText}), }`;
  // Pad with spaces so that the data starts on a 64-byte boundary, ending in '\n'.
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + count * 4);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  new Uint8Array(out.buffer, 10 + header.length).set(new Uint8Array(arr.data.buffer, arr.data.byteOffset, count * 4));
  return out;
}

export function readNpy(path: string): NdArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw fsErrorCode(e) !== undefined ? asIoError(e, path, 'read') : new FormatError(path, 'cannot read file (expected a .npy array)');
  }
  return decodeNpy(bytes, path);
}

export function writeNpy(path: string, arr: NdArray): void {
  writeFileAtomic(path, encodeNpy(arr));
}
