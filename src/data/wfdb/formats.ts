/**
 * WFDB signal storage formats (PhysioNet's signal(5)): byte layout of a stream
 * of digital samples. Decoders fill an Int32Array in plain loops over the bytes,
 * with no allocation per sample.
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Byte-layout format codes this module decodes. Format 0 stores nothing: every sample is invalid. */
export const BYTE_FORMATS = [0, 8, 16, 24, 32, 61, 80, 160, 212, 310, 311] as const;
/** Format codes ecgx reads: the byte layouts here and the FLAC formats (flac.ts). */
export const READ_FORMATS = [...BYTE_FORMATS, 508, 516, 524] as const;
/** Format codes this module writes. */
export const WRITE_FORMATS = [8, 16, 24, 32, 61, 80, 160, 212, 310, 311] as const;
export type WriteFormat = (typeof WRITE_FORMATS)[number];

export function isReadFormat(format: number): boolean {
  return (READ_FORMATS as readonly number[]).includes(format);
}

/** Formats whose samples sit at fixed byte positions (all but FLAC): bytesForSamples and decodeSamples apply. */
export function isByteFormat(format: number): boolean {
  return (BYTE_FORMATS as readonly number[]).includes(format);
}

/**
 * Samples in the smallest whole byte group of a format (two 12-bit samples in
 * 3 bytes for 212, three 10-bit samples in 4 bytes for 310 and 311, else 1):
 * a writer pads the last group, so a file may end up to one group past its
 * last sample.
 */
export function samplesPerGroup(format: number): number {
  if (format === 212) return 2;
  if (format === 310 || format === 311) return 3;
  return 1;
}

/**
 * The digital value that marks a missing sample in each format (WFDB's
 * "invalid sample"). Format 8 stores differences and has none of its own; it
 * and format 0 use the library-wide -32768.
 */
export function invalidValue(format: number): number {
  switch (format) {
    case 80:
    case 508:
      return -128;
    case 524:
      return -(2 ** 23);
    case 212:
      return -2048;
    case 310:
    case 311:
      return -512;
    case 24:
      return -(2 ** 23);
    case 32:
      return -(2 ** 31);
    default:
      return -32768;
  }
}

/** Smallest and largest digital values a format can store (the invalid value excluded). */
export function digitalRange(format: number): [number, number] {
  switch (format) {
    case 8:
    case 80:
    case 508:
      return [-127, 127];
    case 524:
      return [-(2 ** 23) + 1, 2 ** 23 - 1];
    case 212:
      return [-2047, 2047];
    case 310:
    case 311:
      return [-511, 511];
    case 24:
      return [-(2 ** 23) + 1, 2 ** 23 - 1];
    case 32:
      return [-(2 ** 31) + 1, 2 ** 31 - 1];
    default:
      return [-32767, 32767];
  }
}

/** Bytes that hold the first `n` samples of a stream. */
export function bytesForSamples(format: number, n: number): number {
  switch (format) {
    case 0:
      return 0;
    case 8:
    case 80:
      return n;
    case 16:
    case 61:
    case 160:
      return 2 * n;
    case 24:
      return 3 * n;
    case 32:
      return 4 * n;
    case 212:
      return Math.floor(n / 2) * 3 + (n % 2) * 2;
    case 310:
      return Math.floor(n / 3) * 4 + [0, 2, 4][n % 3]!;
    case 311:
      return Math.floor(n / 3) * 4 + [0, 2, 3][n % 3]!;
    default:
      throw new RangeError(`bytesForSamples: unknown format ${format}`);
  }
}

/** Whole samples that `nBytes` bytes hold (the inverse of bytesForSamples, rounding down). */
export function samplesInBytes(format: number, nBytes: number): number {
  switch (format) {
    case 0:
      return Infinity;
    case 8:
    case 80:
      return nBytes;
    case 16:
    case 61:
    case 160:
      return Math.floor(nBytes / 2);
    case 24:
      return Math.floor(nBytes / 3);
    case 32:
      return Math.floor(nBytes / 4);
    case 212:
      return Math.floor(nBytes / 3) * 2 + (nBytes % 3 >= 2 ? 1 : 0);
    case 310:
      return Math.floor(nBytes / 4) * 3 + (nBytes % 4 >= 2 ? 1 : 0);
    case 311:
      return Math.floor(nBytes / 4) * 3 + [0, 0, 1, 2][nBytes % 4]!;
    default:
      throw new RangeError(`samplesInBytes: unknown format ${format}`);
  }
}

/**
 * Decodes the first `n` samples of a stream into `out[0..n)`. The caller
 * checks that `bytes` holds bytesForSamples(format, n) bytes. Format 8 yields
 * the stored first differences; the caller integrates them per signal.
 */
export function decodeSamples(format: number, bytes: Uint8Array, n: number, out: Int32Array): void {
  const b = bytes;
  switch (format) {
    case 0:
      out.fill(invalidValue(0), 0, n);
      return;
    case 8:
      out.set(new Int8Array(b.buffer, b.byteOffset, n));
      return;
    case 80:
      for (let i = 0; i < n; i++) out[i] = b[i]! - 128;
      return;
    case 16:
      // Native widening copy when the host is little-endian and the bytes are aligned.
      if (LITTLE_ENDIAN && b.byteOffset % 2 === 0) out.set(new Int16Array(b.buffer, b.byteOffset, n));
      else for (let i = 0, j = 0; i < n; i++, j += 2) out[i] = ((b[j]! | (b[j + 1]! << 8)) << 16) >> 16;
      return;
    case 61:
      for (let i = 0, j = 0; i < n; i++, j += 2) out[i] = (((b[j]! << 8) | b[j + 1]!) << 16) >> 16;
      return;
    case 160:
      for (let i = 0, j = 0; i < n; i++, j += 2) out[i] = (b[j]! | (b[j + 1]! << 8)) - 32768;
      return;
    case 24:
      for (let i = 0, j = 0; i < n; i++, j += 3) out[i] = ((b[j]! | (b[j + 1]! << 8) | (b[j + 2]! << 16)) << 8) >> 8;
      return;
    case 32:
      if (LITTLE_ENDIAN && b.byteOffset % 4 === 0) out.set(new Int32Array(b.buffer, b.byteOffset, n));
      else for (let i = 0, j = 0; i < n; i++, j += 4) out[i] = b[j]! | (b[j + 1]! << 8) | (b[j + 2]! << 16) | (b[j + 3]! << 24);
      return;
    case 212: {
      // Two 12-bit samples in 3 bytes; the middle byte holds both high nibbles.
      const pairs = n >> 1;
      let j = 0;
      for (let p = 0, i = 0; p < pairs; p++, i += 2, j += 3) {
        const mid = b[j + 1]!;
        out[i] = ((b[j]! | ((mid & 0x0f) << 8)) << 20) >> 20;
        out[i + 1] = ((b[j + 2]! | ((mid & 0xf0) << 4)) << 20) >> 20;
      }
      if (n & 1) out[n - 1] = ((b[j]! | ((b[j + 1]! & 0x0f) << 8)) << 20) >> 20;
      return;
    }
    case 310: {
      // Three 10-bit samples in two little-endian 16-bit words: bits 1-10 of
      // each word, and the third from the two 5-bit tops of the words.
      const groups = Math.floor(n / 3);
      let j = 0;
      let i = 0;
      for (let g = 0; g < groups; g++, i += 3, j += 4) {
        const w0 = b[j]! | (b[j + 1]! << 8);
        const w1 = b[j + 2]! | (b[j + 3]! << 8);
        out[i] = (((w0 >> 1) & 0x3ff) << 22) >> 22;
        out[i + 1] = (((w1 >> 1) & 0x3ff) << 22) >> 22;
        out[i + 2] = ((((w0 >> 11) & 0x1f) | (((w1 >> 11) & 0x1f) << 5)) << 22) >> 22;
      }
      const rest = n - i;
      if (rest >= 1) out[i] = ((((b[j]! | (b[j + 1]! << 8)) >> 1) & 0x3ff) << 22) >> 22;
      if (rest >= 2) out[i + 1] = ((((b[j + 2]! | (b[j + 3]! << 8)) >> 1) & 0x3ff) << 22) >> 22;
      return;
    }
    case 311: {
      // Three 10-bit samples in bits 0-9, 10-19 and 20-29 of a little-endian 32-bit word.
      const groups = Math.floor(n / 3);
      let j = 0;
      let i = 0;
      for (let g = 0; g < groups; g++, i += 3, j += 4) {
        const w = b[j]! | (b[j + 1]! << 8) | (b[j + 2]! << 16) | (b[j + 3]! << 24);
        out[i] = ((w & 0x3ff) << 22) >> 22;
        out[i + 1] = (((w >>> 10) & 0x3ff) << 22) >> 22;
        out[i + 2] = (((w >>> 20) & 0x3ff) << 22) >> 22;
      }
      const rest = n - i;
      if (rest >= 1) out[i] = (((b[j]! | (b[j + 1]! << 8)) & 0x3ff) << 22) >> 22;
      if (rest >= 2) out[i + 1] = ((((b[j + 1]! >> 2) | (b[j + 2]! << 6)) & 0x3ff) << 22) >> 22;
      return;
    }
    default:
      throw new RangeError(`decodeSamples: unknown format ${format}`);
  }
}

/**
 * Encodes a stream of digital samples. Values must already lie in the format's
 * range (digitalRange, or the invalid value). Format 8 takes the absolute
 * values and writes first differences from `initValue`; each difference must
 * fit in a signed byte.
 */
export function encodeSamples(format: WriteFormat, samples: Int32Array, initValue = 0): Uint8Array {
  const n = samples.length;
  const out = new Uint8Array(bytesForSamples(format, n));
  const s = samples;
  switch (format) {
    case 8: {
      let prev = initValue;
      for (let i = 0; i < n; i++) {
        const d = s[i]! - prev;
        if (d < -128 || d > 127) throw new RangeError(`encodeSamples: format 8 difference ${d} at sample ${i} does not fit in a byte`);
        out[i] = d & 0xff;
        prev = s[i]!;
      }
      return out;
    }
    case 80:
      for (let i = 0; i < n; i++) out[i] = (s[i]! + 128) & 0xff;
      return out;
    case 16:
      for (let i = 0, j = 0; i < n; i++, j += 2) {
        out[j] = s[i]! & 0xff;
        out[j + 1] = (s[i]! >> 8) & 0xff;
      }
      return out;
    case 61:
      for (let i = 0, j = 0; i < n; i++, j += 2) {
        out[j] = (s[i]! >> 8) & 0xff;
        out[j + 1] = s[i]! & 0xff;
      }
      return out;
    case 160:
      for (let i = 0, j = 0; i < n; i++, j += 2) {
        const u = s[i]! + 32768;
        out[j] = u & 0xff;
        out[j + 1] = (u >> 8) & 0xff;
      }
      return out;
    case 24:
      for (let i = 0, j = 0; i < n; i++, j += 3) {
        out[j] = s[i]! & 0xff;
        out[j + 1] = (s[i]! >> 8) & 0xff;
        out[j + 2] = (s[i]! >> 16) & 0xff;
      }
      return out;
    case 32:
      for (let i = 0, j = 0; i < n; i++, j += 4) {
        out[j] = s[i]! & 0xff;
        out[j + 1] = (s[i]! >> 8) & 0xff;
        out[j + 2] = (s[i]! >> 16) & 0xff;
        out[j + 3] = (s[i]! >> 24) & 0xff;
      }
      return out;
    case 212:
      for (let i = 0, j = 0; i < n; i += 2, j += 3) {
        const a = s[i]! & 0xfff;
        out[j] = a & 0xff;
        if (i + 1 < n) {
          const c = s[i + 1]! & 0xfff;
          out[j + 1] = (a >> 8) | ((c >> 8) << 4);
          out[j + 2] = c & 0xff;
        } else {
          out[j + 1] = a >> 8;
        }
      }
      return out;
    case 310:
      for (let i = 0, j = 0; i < n; i += 3, j += 4) {
        const a = s[i]! & 0x3ff;
        const c = i + 1 < n ? s[i + 1]! & 0x3ff : 0;
        const e = i + 2 < n ? s[i + 2]! & 0x3ff : 0;
        const w0 = (a << 1) | ((e & 0x1f) << 11);
        const w1 = (c << 1) | ((e >> 5) << 11);
        out[j] = w0 & 0xff;
        out[j + 1] = w0 >> 8;
        if (i + 1 < n) {
          out[j + 2] = w1 & 0xff;
          out[j + 3] = w1 >> 8;
        }
      }
      return out;
    case 311:
      for (let i = 0, j = 0; i < n; i += 3, j += 4) {
        const a = s[i]! & 0x3ff;
        const c = i + 1 < n ? s[i + 1]! & 0x3ff : 0;
        const e = i + 2 < n ? s[i + 2]! & 0x3ff : 0;
        const w = a | (c << 10) | (e << 20);
        out[j] = w & 0xff;
        out[j + 1] = (w >>> 8) & 0xff;
        if (i + 1 < n) out[j + 2] = (w >>> 16) & 0xff;
        if (i + 2 < n) out[j + 3] = (w >>> 24) & 0xff;
      }
      return out;
  }
}
