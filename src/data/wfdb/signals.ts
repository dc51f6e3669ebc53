import { join } from 'node:path';
import { FormatError } from '../../util/errors.js';
import type { WfdbHeader, WfdbSignalSpec } from './header.js';
import { bytesForSamples, decodeSamples, invalidValue, isByteFormat, isReadFormat, READ_FORMATS, samplesInBytes, samplesPerGroup } from './formats.js';
import { decodeFlac, FLAC_MAX_CHANNELS, isFlacFormat, type FlacStream } from './flac.js';
import { withRegularFile } from './io.js';

/** What reading signal files needs from the record being read. */
export interface SignalContext {
  /** Folder of the header; signal file names are relative to it. */
  dir: string;
  headerFile: string;
  header: WfdbHeader;
  /** Most samples (all signals) the record may hold, to bound what is read. */
  maxSamples: number;
  warn(message: string): void;
}

/** Signals stored in one file (or one format-0 signal, which has none). */
export interface FileGroup {
  fileName: string;
  /** Indices into header.signals, in file order. */
  signals: number[];
}

/** One group's signals as read: digital samples (skew applied) and the checksums' sums. */
export interface GroupSamples {
  /** Per signal: samplesPerFrame x nSamples digital samples; sample t of a signal skewed by s comes from frame t + s. */
  digital: Int32Array[];
  /**
   * Per signal: the 32-bit wrapping sum of its samples in frames [0, nSamples)
   * of the file, as stored (not skew-shifted): what WFDB's checksum covers.
   */
  storedSums: number[];
}

export function groupByFile(header: WfdbHeader): FileGroup[] {
  const groups: FileGroup[] = [];
  header.signals.forEach((s, i) => {
    // Format-0 signals have no file, whatever their file name says.
    const key = s.format === 0 ? `\0${i}` : s.fileName;
    let g = groups.find((x) => x.fileName === key);
    if (!g) groups.push((g = { fileName: key, signals: [] }));
    g.signals.push(i);
  });
  return groups;
}

function groupSpecs(ctx: SignalContext, group: FileGroup): WfdbSignalSpec[] {
  const specs = group.signals.map((i) => ctx.header.signals[i]!);
  const format = specs[0]!.format;
  for (const s of specs) {
    if (!isReadFormat(s.format)) {
      throw new FormatError(ctx.headerFile, `signal '${s.description}': unknown or unsupported format ${s.format} (expected one of ${READ_FORMATS.join(', ')})`, { field: 'format' });
    }
    if (s.format !== format) {
      throw new FormatError(ctx.headerFile, `signals in ${s.fileName} mix formats ${format} and ${s.format} (expected one format per file)`, { field: 'format' });
    }
  }
  return specs;
}

const fileWhat = (ctx: SignalContext): string => `the signal file named by ${ctx.headerFile}`;

/**
 * Frames in a record whose header leaves the sample count unknown: what the
 * first signal file holds (its size, or for FLAC its decoded length).
 */
export function framesInFirstFile(ctx: SignalContext, groups: FileGroup[]): number {
  for (const g of groups) {
    const specs = groupSpecs(ctx, g);
    const s = specs[0]!;
    if (s.format === 0) continue;
    const frameSize = specs.reduce((a, x) => a + x.samplesPerFrame, 0);
    if (isFlacFormat(s.format)) {
      const f = loadFlac(ctx, specs, undefined);
      return Math.floor(Math.max(0, f.stream.nSamples - f.start) / specs[0]!.samplesPerFrame);
    }
    const size = withRegularFile(join(ctx.dir, s.fileName), fileWhat(ctx), (f) => f.size);
    return Math.floor(samplesInBytes(s.format, Math.max(0, size - s.byteOffset)) / frameSize);
  }
  throw new FormatError(ctx.headerFile, 'the number of samples is unknown and no signal file gives it (expected a sample count on the record line)', { field: 'number of samples' });
}

/** Reads the signals of one file group; `declared` says whether the header gave the sample count (so extra bytes are worth a warning). */
export function readGroup(ctx: SignalContext, group: FileGroup, nSamples: number, declared: boolean): GroupSamples {
  const specs = groupSpecs(ctx, group);
  const format = specs[0]!.format;
  if (format === 0) {
    return { digital: specs.map((s) => new Int32Array(nSamples * s.samplesPerFrame).fill(invalidValue(0))), storedSums: specs.map(() => 0) };
  }
  if (isFlacFormat(format)) return flacGroup(ctx, specs, nSamples, declared);
  if (!isByteFormat(format)) throw new Error(`readGroup: no reader for format ${format}`);
  return byteGroup(ctx, specs, nSamples, declared);
}

function byteGroup(ctx: SignalContext, specs: WfdbSignalSpec[], nSamples: number, declared: boolean): GroupSamples {
  const first = specs[0]!;
  const format = first.format;
  const file = join(ctx.dir, first.fileName);
  const frameSize = specs.reduce((a, s) => a + s.samplesPerFrame, 0);
  const maxSkew = Math.max(...specs.map((s) => s.skew));
  const invalid = invalidValue(format);
  const offset = first.byteOffset;
  return withRegularFile(file, fileWhat(ctx), (f) => {
    if (offset > f.size) throw new FormatError(file, `file has ${f.size} bytes, fewer than its byte offset ${offset} (from ${ctx.headerFile})`, { field: 'byte offset' });
    const bodySize = f.size - offset;
    const framesInFile = Math.floor(samplesInBytes(format, bodySize) / frameSize);
    if (framesInFile < nSamples) {
      const need = bytesForSamples(format, nSamples * frameSize) + offset;
      throw new FormatError(file, `truncated: ${ctx.headerFile} declares ${nSamples} frames of ${frameSize} samples in format ${format} (${need} bytes), the file has ${f.size} bytes`);
    }
    // A file may hold up to maxSkew frames more (what skewed signals read),
    // padded to the format's last whole byte group; more is not part of the record.
    const g = samplesPerGroup(format);
    const allowed = bytesForSamples(format, Math.ceil(((nSamples + maxSkew) * frameSize) / g) * g);
    if (declared && bodySize > allowed) {
      ctx.warn(`${file}: ${bodySize - allowed} bytes beyond the ${nSamples} frames ${ctx.headerFile} declares (expected at most ${allowed + offset} bytes, the file has ${f.size}); they were not read`);
    }
    // Skewed signals read up to maxSkew frames past nSamples, when the file has them.
    const nFrames = Math.min(framesInFile, nSamples + maxSkew);
    const body = f.read(offset, bytesForSamples(format, nFrames * frameSize));
    return decodeFrames(specs, format, body, nFrames, nSamples, invalid);
  });
}

/** Decodes `nFrames` multiplexed frames of `body` into per-signal arrays (see GroupSamples). */
function decodeFrames(specs: WfdbSignalSpec[], format: number, body: Uint8Array, nFrames: number, nSamples: number, invalid: number): GroupSamples {
  const frameSize = specs.reduce((a, s) => a + s.samplesPerFrame, 0);
  const out = specs.map((s) => new Int32Array(nSamples * s.samplesPerFrame));
  const storedSums = specs.map(() => 0);
  const slot = specs.map((_, k) => specs.slice(0, k).reduce((a, s) => a + s.samplesPerFrame, 0));
  const acc = specs.map((s) => s.initValue); // format 8 running sums
  // Decode a cache-sized chunk of frames at a time and scatter it to the signals.
  // A multiple of 6 frames starts every chunk on a 212/310/311 byte-group boundary.
  const chunkFrames = Math.max(6, Math.floor(65536 / frameSize / 6) * 6);
  const buf = scratch(Math.min(chunkFrames, nFrames) * frameSize);
  for (let f0 = 0; f0 < nFrames; f0 += chunkFrames) {
    const nf = Math.min(chunkFrames, nFrames - f0);
    decodeSamples(format, body.subarray(bytesForSamples(format, f0 * frameSize)), nf * frameSize, buf);
    if (format === 8) integrateDifferences(buf, specs, slot, frameSize, nf, acc);
    for (let k = 0; k < specs.length; k++) {
      const s = specs[k]!;
      // Frame f holds sample f - skew of this signal.
      const fStart = Math.max(f0, s.skew);
      const fEnd = Math.min(f0 + nf, nSamples + s.skew);
      if (fEnd > fStart) scatter(buf, out[k]!, frameSize, slot[k]!, s.samplesPerFrame, fStart - f0, fEnd - f0, (fStart - s.skew) * s.samplesPerFrame);
      if (s.skew !== 0) storedSums[k] = (storedSums[k]! + sumSlots(buf, frameSize, slot[k]!, s.samplesPerFrame, 0, Math.min(nf, nSamples - f0))) | 0;
    }
  }
  specs.forEach((s, k) => {
    const framesHere = Math.max(0, Math.min(nSamples, nFrames - s.skew));
    if (framesHere < nSamples) out[k]!.fill(invalid, framesHere * s.samplesPerFrame);
    // Unskewed, the stored samples are the signal's own.
    if (s.skew === 0) storedSums[k] = sum32(out[k]!);
  });
  return { digital: out, storedSums };
}

/** A FLAC signal file, decoded: its stream and the FLAC sample that is frame 0. */
interface LoadedFlac {
  file: string;
  stream: FlacStream;
  /** The header's '+N' suffix: for FLAC, the number of (inter-channel) samples before frame 0. */
  start: number;
}

const loaded = new WeakMap<WfdbSignalSpec, LoadedFlac>();

/**
 * Reads and decodes a FLAC signal file; `nSamples` (when known) bounds the
 * bytes read: a FLAC stream is never much larger than its samples stored raw
 * (the encoder falls back to verbatim frames), so 4 bytes a sample plus 1 MiB
 * of headroom is far more than a real file needs.
 */
function loadFlac(ctx: SignalContext, specs: WfdbSignalSpec[], nSamples: number | undefined): LoadedFlac {
  const first = specs[0]!;
  const cached = loaded.get(first);
  if (cached) return cached;
  const file = join(ctx.dir, first.fileName);
  const format = first.format;
  if (specs.length > FLAC_MAX_CHANNELS) {
    throw new FormatError(ctx.headerFile, `${specs.length} signals share the FLAC file ${first.fileName} (expected at most ${FLAC_MAX_CHANNELS}, the most channels a FLAC stream holds)`, { field: 'format' });
  }
  const spf = first.samplesPerFrame;
  if (specs.some((s) => s.samplesPerFrame !== spf)) {
    throw new FormatError(ctx.headerFile, `signals in the FLAC file ${first.fileName} have different samples per frame (expected the same for all, as WFDB stores them)`, { field: 'samples per frame' });
  }
  const maxSkew = Math.max(...specs.map((s) => s.skew));
  const samples = nSamples === undefined ? ctx.maxSamples : (nSamples + maxSkew) * spf * specs.length + first.byteOffset * specs.length;
  const maxBytes = 4 * samples + 2 ** 20;
  const bytes = withRegularFile(file, fileWhat(ctx), (f) => {
    if (f.size > maxBytes) throw new FormatError(file, `is ${f.size} bytes, more than a FLAC stream of the ${nSamples === undefined ? `at most ${ctx.maxSamples}` : samples} samples ${ctx.headerFile} declares can be (at most ${maxBytes} bytes)`);
    return f.read(0, f.size);
  });
  const stream = decodeFlac(bytes, file);
  if (stream.channels.length !== specs.length) {
    throw new FormatError(file, `FLAC stream has ${stream.channels.length} channel(s), ${ctx.headerFile} names ${specs.length} signal(s) in it (expected one channel per signal)`);
  }
  const bits = format - 500;
  if (stream.bitsPerSample > bits) {
    throw new FormatError(file, `FLAC stream has ${stream.bitsPerSample} bits per sample, more than format ${format} allows (at most ${bits})`);
  }
  const r = { file, stream, start: first.byteOffset };
  loaded.set(first, r);
  return r;
}

function flacGroup(ctx: SignalContext, specs: WfdbSignalSpec[], nSamples: number, declared: boolean): GroupSamples {
  const { file, stream, start } = loadFlac(ctx, specs, nSamples);
  loaded.delete(specs[0]!);
  const spf = specs[0]!.samplesPerFrame;
  const maxSkew = Math.max(...specs.map((s) => s.skew));
  const framesInFile = Math.floor(Math.max(0, stream.nSamples - start) / spf);
  if (framesInFile < nSamples) {
    throw new FormatError(file, `truncated: ${ctx.headerFile} declares ${nSamples} frames of ${spf} sample(s) per signal, the FLAC stream holds ${framesInFile} (after skipping ${start})`);
  }
  const extra = stream.nSamples - start - (nSamples + maxSkew) * spf;
  if (declared && extra > 0) {
    ctx.warn(`${file}: ${extra} samples per signal beyond the ${nSamples} frames ${ctx.headerFile} declares (expected at most ${(nSamples + maxSkew) * spf + start}); they were not read`);
  }
  const invalid = invalidValue(specs[0]!.format);
  const digital: Int32Array[] = [];
  const storedSums: number[] = [];
  specs.forEach((s, k) => {
    const ch = stream.channels[k]!;
    const d = new Int32Array(nSamples * spf);
    // Sample t of a signal skewed by s is FLAC sample start + (t + s) x spf (+ j within the frame).
    const from = start + s.skew * spf;
    const n = Math.max(0, Math.min(nSamples * spf, stream.nSamples - from));
    d.set(ch.subarray(from, from + n));
    d.fill(invalid, n);
    digital.push(d);
    storedSums.push(sum32(ch.subarray(start, start + nSamples * spf)));
  });
  return { digital, storedSums };
}

function sum32(a: Int32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s = (s + a[i]!) | 0;
  return s;
}

let scratchBuf = new Int32Array(0);
/** A reusable decode buffer: reads are synchronous, so one per process is enough and spares the GC. */
function scratch(n: number): Int32Array {
  if (scratchBuf.length < n) scratchBuf = new Int32Array(Math.max(n, 65536));
  return scratchBuf;
}

/** Copies one signal's slots from frames [from, to) of a decoded chunk to `d` starting at `at`. */
function scatter(buf: Int32Array, d: Int32Array, frameSize: number, slot: number, spf: number, from: number, to: number, at: number): void {
  if (spf === 1) {
    for (let f = from, j = from * frameSize + slot; f < to; f++, j += frameSize) d[at++] = buf[j]!;
    return;
  }
  for (let f = from; f < to; f++) {
    const j = f * frameSize + slot;
    for (let k = 0; k < spf; k++) d[at++] = buf[j + k]!;
  }
}

/** Wrapping sum of one signal's slots over frames [from, to) of a decoded chunk. */
function sumSlots(buf: Int32Array, frameSize: number, slot: number, spf: number, from: number, to: number): number {
  let s = 0;
  for (let f = from; f < to; f++) {
    const j = f * frameSize + slot;
    for (let k = 0; k < spf; k++) s = (s + buf[j + k]!) | 0;
  }
  return s;
}

/** Format 8 stores first differences: sample n = initial value + sum of differences 0..n, per signal (running sums in `acc`). */
function integrateDifferences(buf: Int32Array, specs: WfdbSignalSpec[], slot: number[], frameSize: number, nFrames: number, acc: number[]): void {
  specs.forEach((s, k) => {
    let a = acc[k]!;
    for (let f = 0; f < nFrames; f++) {
      const j = f * frameSize + slot[k]!;
      for (let i = 0; i < s.samplesPerFrame; i++) {
        a = (a + buf[j + i]!) | 0;
        buf[j + i] = a;
      }
    }
    acc[k] = a;
  });
}
