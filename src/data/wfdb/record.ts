import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeEcg, type Ecg } from '../ecg.js';
import { canonicalLead } from '../leads.js';
import { FormatError, IoError, OptionError } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { formatHeader, ioReason, readHeader, recordBase, type WfdbHeader, type WfdbSignalSpec } from './header.js';
import { bytesForSamples, decodeSamples, digitalRange, encodeSamples, invalidValue, isReadFormat, READ_FORMATS, samplesInBytes } from './formats.js';
import { commentsToMeta, metaToComments } from './metadata.js';

/** A signal's checksum as declared by the header and as computed from its samples. */
export interface ChecksumReport {
  /** Canonical lead name. */
  lead: string;
  /** From the header; undefined when the header gives none. */
  expected?: number;
  /** 16-bit sum of the digital samples, as a signed 16-bit value like WFDB writes it. */
  actual: number;
  /** True when they agree modulo 2^16, or when there is nothing to compare. */
  ok: boolean;
  /** Segment record name, for the segments of a multi-segment record. */
  segment?: string;
}

/** A record read from disk: its header, the ECG in mV, and checksum results. */
export interface WfdbRecord {
  header: WfdbHeader;
  /**
   * The signals in mV (other physical units are kept as they are). When every
   * signal has the same samples per frame k, `ecg.fs` is k x the frame rate;
   * otherwise multi-sample frames are averaged, like WFDB's getvec.
   */
  ecg: Ecg;
  checksums: ChecksumReport[];
  /** Digital samples per signal in header order (samplesPerFrame x nSamples each), as stored. Empty for multi-segment records. */
  digital: Int32Array[];
  /** The stored segments of a multi-segment record, in order (null '~' segments left out). */
  segments?: WfdbRecord[];
}

export interface ReadRecordOptions {
  /** What a checksum mismatch does: 'error' (default) throws a FormatError; 'warn' reports it in `checksums` and emits a process warning. */
  checksum?: 'error' | 'warn';
  /** Where 'warn' sends its message; process.emitWarning by default. */
  onWarning?: (message: string) => void;
}

/** Scale from a unit to mV, for the voltage units; 1 for anything else (mmHg, NU, ...). */
export function unitScaleToMv(units: string): number {
  switch (units.trim().toLowerCase()) {
    case 'v':
      return 1000;
    case 'uv':
    case 'µv':
    case 'μv':
      return 1e-3;
    case 'nv':
      return 1e-6;
    default:
      return 1;
  }
}

function toInt16(x: number): number {
  return ((x & 0xffff) << 16) >> 16;
}

interface FileGroup {
  fileName: string;
  /** Indices into header.signals, in file order. */
  signals: number[];
}

function groupByFile(header: WfdbHeader): FileGroup[] {
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

/**
 * Reads one group of signals that share a file: returns each signal's digital
 * samples (samplesPerFrame x nSamples, skew applied; frames beyond the end of
 * the file, which only skew can reach, hold the invalid value).
 */
function readGroup(dir: string, headerFile: string, header: WfdbHeader, group: FileGroup, nSamples: number): Int32Array[] {
  const specs = group.signals.map((i) => header.signals[i]!);
  const first = specs[0]!;
  const format = first.format;
  const file = join(dir, first.fileName);
  for (const s of specs) {
    if (!isReadFormat(s.format)) {
      throw new FormatError(headerFile, `signal '${s.description}': unknown or unsupported format ${s.format} (expected one of ${READ_FORMATS.join(', ')})`, { field: 'format' });
    }
    if (s.format !== format) {
      throw new FormatError(headerFile, `signals in ${s.fileName} mix formats ${format} and ${s.format} (expected one format per file)`, { field: 'format' });
    }
  }
  const frameSize = specs.reduce((a, s) => a + s.samplesPerFrame, 0);
  const maxSkew = Math.max(...specs.map((s) => s.skew));
  const invalid = invalidValue(format);
  if (format === 0) return specs.map((s) => new Int32Array(nSamples * s.samplesPerFrame).fill(invalid));
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new IoError(file, ioReason(e, `the signal file named by ${headerFile}`));
  }
  const offset = first.byteOffset;
  if (offset > bytes.length) throw new FormatError(file, `file has ${bytes.length} bytes, fewer than its byte offset ${offset} (from ${headerFile})`, { field: 'byte offset' });
  const body = bytes.subarray(offset);
  const framesInFile = Math.floor(samplesInBytes(format, body.length) / frameSize);
  if (framesInFile < nSamples) {
    const need = bytesForSamples(format, nSamples * frameSize) + offset;
    throw new FormatError(file, `truncated: ${headerFile} declares ${nSamples} frames of ${frameSize} samples in format ${format} (${need} bytes), the file has ${bytes.length} bytes`);
  }
  // Skewed signals read up to maxSkew frames past nSamples, when the file has them.
  const nFrames = Math.min(framesInFile, nSamples + maxSkew);
  const out = specs.map((s) => new Int32Array(nSamples * s.samplesPerFrame));
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
    }
  }
  specs.forEach((s, k) => {
    const framesHere = Math.max(0, Math.min(nSamples, nFrames - s.skew));
    if (framesHere < nSamples) out[k]!.fill(invalid, framesHere * s.samplesPerFrame);
  });
  return out;
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

/** 16-bit sum of digital samples, as a signed 16-bit value. */
export function wfdbChecksum(digital: Int32Array): number {
  let sum = 0;
  for (let i = 0; i < digital.length; i++) sum = (sum + digital[i]!) | 0;
  return toInt16(sum);
}

/**
 * Reads a single-segment WFDB record: `path` is 'dir/name' or 'dir/name.hea'.
 * Missing samples (each format's invalid value) become NaN; checksums are
 * verified per signal.
 */
export function readRecord(path: string, opts: ReadRecordOptions = {}): WfdbRecord {
  const base = recordBase(path);
  const headerFile = base + '.hea';
  const header = readHeader(base);
  if (header.nSegments !== undefined) return readMultiSegment(base, header, opts);
  return readSingleSegment(base, header, opts);
}

function readSingleSegment(base: string, header: WfdbHeader, opts: ReadRecordOptions): WfdbRecord {
  const headerFile = base + '.hea';
  if (header.nSignals === 0) throw new FormatError(headerFile, 'record has no signals (expected at least one signal line)', { field: 'number of signals' });
  const dir = dirname(base);
  let nSamples = header.nSamples;
  const groups = groupByFile(header);
  if (nSamples === 0) nSamples = framesFromFileSize(dir, headerFile, header, groups);
  const frameSamples = header.signals.reduce((a, s) => a + s.samplesPerFrame, 0);
  if (nSamples * frameSamples > 2 ** 31 - 1) {
    throw new FormatError(headerFile, `${nSamples} frames of ${frameSamples} samples is more than ecgx reads at once (2^31 - 1 samples)`, { field: 'number of samples' });
  }
  if (groups.every((g) => header.signals[g.signals[0]!]!.format === 0)) {
    throw new FormatError(headerFile, 'every signal is format 0 (no samples stored); expected at least one signal file', { field: 'format' });
  }
  // Signals with files first: they prove the sample count before format-0 signals allocate it.
  groups.sort((a, b) => Number(header.signals[a.signals[0]!]!.format === 0) - Number(header.signals[b.signals[0]!]!.format === 0));
  const digital: Int32Array[] = new Array(header.nSignals);
  for (const g of groups) {
    const sigs = readGroup(dir, headerFile, header, g, nSamples);
    g.signals.forEach((i, k) => (digital[i] = sigs[k]!));
  }

  const leads = header.signals.map((s, i) => (s.description !== '' ? s.description : `signal ${i}`));
  const checksums: ChecksumReport[] = header.signals.map((s, i) => {
    const actual = wfdbChecksum(digital[i]!);
    const expected = s.checksum;
    const ok = s.format === 0 || expected === undefined || toInt16(expected) === actual;
    const r: ChecksumReport = { lead: canonicalLead(leads[i]!), actual, ok };
    if (expected !== undefined) r.expected = expected;
    return r;
  });
  const bad = checksums.map((c, i) => ({ c, i })).filter((x) => !x.c.ok);
  if (bad.length > 0) {
    const files = [...new Set(bad.map((x) => header.signals[x.i]!.fileName))].map((f) => join(dir, f)).join(', ');
    const list = bad.map((x) => `${x.c.lead} (header ${x.c.expected}, samples sum to ${x.c.actual})`).join('; ');
    const msg = `checksum mismatch for lead${bad.length > 1 ? 's' : ''} ${list} (from ${headerFile}; the samples differ from what the header recorded)`;
    if ((opts.checksum ?? 'error') === 'error') throw new FormatError(files, msg, { field: 'checksum' });
    if (opts.onWarning) opts.onWarning(`${files}: ${msg}`);
    else process.emitWarning(`${files}: ${msg}`, 'WfdbChecksumWarning');
  }

  const { signal, fs, nOut } = toPhysical(header, digital, nSamples);
  const meta = commentsToMeta(header.comments, header.recordName, headerFile);
  const ecg = makeEcg({ signal, fs, leads, meta });
  if (ecg.nSamples !== nOut) throw new Error('readRecord: internal length mismatch');
  return { header, ecg, checksums, digital };
}

/**
 * A multi-segment record: its segments are single-segment records in the same
 * folder, concatenated in time; '~' segments are gaps (NaN). With a layout
 * segment first (0 samples, PhysioNet's variable layout), its signals are the
 * record's and each segment's signals are matched to them by name, missing
 * ones NaN; otherwise (fixed layout) every segment has the first one's
 * signals. Each segment converts to mV with its own gains. The returned
 * header's `signals` are the layout's.
 */
function readMultiSegment(base: string, header: WfdbHeader, opts: ReadRecordOptions): WfdbRecord {
  const headerFile = base + '.hea';
  const dir = dirname(base);
  const segs = header.segments ?? [];
  const fail = (what: string, field = 'segment'): never => {
    throw new FormatError(headerFile, what, { field });
  };
  const isLayout = segs.length > 0 && segs[0]!.recordName !== '~' && segs[0]!.nSamples === 0;
  const parts = isLayout ? segs.slice(1) : segs;
  const firstStored = parts.find((p) => p.recordName !== '~');
  if (firstStored === undefined) fail('every segment is a gap (~); expected at least one stored segment');
  const layout = readHeader(join(dir, (isLayout ? segs[0]! : firstStored!).recordName));
  if (layout.nSegments !== undefined) fail(`segment ${layout.recordName} is itself multi-segment (expected single-segment segments)`);
  const leads = layout.signals.map((s, i) => canonicalLead(s.description !== '' ? s.description : `signal ${i}`));
  if (header.nSignals !== leads.length) fail(`the record line declares ${header.nSignals} signal(s) but the layout segment ${layout.recordName} has ${leads.length}`, 'number of signals');
  const total = parts.reduce((a, p) => a + p.nSamples, 0);
  if (header.nSamples !== 0 && header.nSamples !== total) fail(`the segments hold ${total} samples but the record line declares ${header.nSamples}`, 'number of samples');
  if (total * leads.length > 2 ** 31 - 1) fail(`${total} samples x ${leads.length} signals is more than ecgx reads at once`, 'number of samples');

  const signal = new Float32Array(leads.length * total).fill(NaN);
  const segments: WfdbRecord[] = [];
  const checksums: ChecksumReport[] = [];
  let fs: number | undefined;
  let at = 0;
  for (const part of parts) {
    if (part.recordName !== '~') {
      const segBase = join(dir, part.recordName);
      const segHeader = readHeader(segBase);
      // Checked before reading: a segment naming its own record must not recurse.
      if (segHeader.nSegments !== undefined) fail(`segment ${part.recordName} is itself multi-segment (expected single-segment segments)`);
      const rec = readSingleSegment(segBase, segHeader, opts);
      if (rec.ecg.nSamples !== part.nSamples) fail(`segment ${part.recordName} has ${rec.ecg.nSamples} samples, the segment line says ${part.nSamples}`);
      if (fs === undefined) fs = rec.ecg.fs;
      else if (rec.ecg.fs !== fs) fail(`segment ${part.recordName} is sampled at ${rec.ecg.fs} Hz, the first segment at ${fs} Hz (expected one rate)`);
      const used = new Array<boolean>(leads.length).fill(false);
      rec.ecg.leads.forEach((lead, i) => {
        const j = leads.findIndex((l, k) => l === lead && !used[k]);
        if (j < 0) fail(`segment ${part.recordName} has signal '${lead}', which the layout (${leads.join(', ')}) lacks`);
        used[j] = true;
        signal.set(rec.ecg.signal.subarray(i * part.nSamples, (i + 1) * part.nSamples), j * total + at);
      });
      for (const c of rec.checksums) checksums.push({ ...c, segment: part.recordName });
      segments.push(rec);
    }
    at += part.nSamples;
  }
  const meta = commentsToMeta(header.comments.length > 0 ? header.comments : layout.comments, header.recordName, headerFile);
  const ecg = makeEcg({ signal, fs: fs ?? header.fs, leads, meta });
  return { header: { ...header, nSamples: total, signals: layout.signals }, ecg, checksums, digital: [], segments };
}

/** Frames in a record whose header leaves the sample count unknown: what the first signal file holds. */
function framesFromFileSize(dir: string, headerFile: string, header: WfdbHeader, groups: FileGroup[]): number {
  for (const g of groups) {
    const specs = g.signals.map((i) => header.signals[i]!);
    const s = specs[0]!;
    if (s.format === 0 || !isReadFormat(s.format)) continue;
    const file = join(dir, s.fileName);
    let size: number;
    try {
      size = readFileSync(file).length;
    } catch (e) {
      throw new IoError(file, ioReason(e, `the signal file named by ${headerFile}`));
    }
    const frameSize = specs.reduce((a, x) => a + x.samplesPerFrame, 0);
    return Math.floor(samplesInBytes(s.format, Math.max(0, size - s.byteOffset)) / frameSize);
  }
  throw new FormatError(headerFile, 'the number of samples is unknown and no signal file gives it (expected a sample count on the record line)', { field: 'number of samples' });
}

function digitalToPhysical(d: Int32Array, out: Float32Array, at: number, n: number, invalid: number, baseline: number, scale: number): void {
  // Two branch-free-ish passes run about twice as fast in V8 as one with a NaN select.
  const o = out.subarray(at, at + n);
  for (let t = 0; t < n; t++) o[t] = (d[t]! - baseline) * scale;
  for (let t = 0; t < n; t++) if (d[t] === invalid) o[t] = NaN;
}

/** Digital -> physical (mV), leads-major float32; NaN where a sample is invalid. */
function toPhysical(header: WfdbHeader, digital: Int32Array[], nSamples: number): { signal: Float32Array; fs: number; nOut: number } {
  const spfs = header.signals.map((s) => s.samplesPerFrame);
  const uniform = spfs.every((k) => k === spfs[0]);
  const k = uniform ? spfs[0]! : 1;
  const nOut = nSamples * k;
  const signal = new Float32Array(header.nSignals * nOut);
  header.signals.forEach((s, i) => {
    const d = digital[i]!;
    const invalid = invalidValue(s.format);
    const scale = unitScaleToMv(s.units) / s.adcGain;
    const baseline = s.baseline;
    const o = i * nOut;
    if (uniform || s.samplesPerFrame === 1) {
      digitalToPhysical(d, signal, o, nOut, invalid, baseline, scale);
    } else {
      const spf = s.samplesPerFrame;
      for (let t = 0; t < nOut; t++) {
        let acc = 0;
        for (let j = t * spf; j < (t + 1) * spf; j++) {
          const v = d[j]!;
          acc += v === invalid ? NaN : v;
        }
        signal[o + t] = (acc / spf - baseline) * scale;
      }
    }
  });
  return { signal, fs: header.fs * k, nOut };
}

export interface WriteRecordOptions {
  /** Storage format; 16 by default. */
  format?: 16 | 212;
  /** ADC units per mV; 1000 by default (1 µV resolution). */
  gain?: number;
  /** Extra comment lines (without '#'), written before the metadata comments. */
  comments?: string[];
}

/**
 * Writes `ecg` as WFDB record `dir/name` (`name.hea` + `name.dat`), all leads
 * multiplexed in one signal file, with checksums and the metadata as header
 * comments. Samples are rounded to the nearest ADC unit and clipped to the
 * format's range; NaN becomes the format's invalid value. Returns the header written.
 */
export function writeRecord(dir: string, name: string, ecg: Ecg, opts: WriteRecordOptions = {}): WfdbHeader {
  const format = opts.format ?? 16;
  const gain = opts.gain ?? 1000;
  if (format !== 16 && format !== 212) throw new OptionError('format', `expected 16 or 212 for writing WFDB, got ${String(format)}`);
  if (!(gain > 0) || !Number.isFinite(gain)) throw new OptionError('gain', `expected a positive number of ADC units per mV, got ${gain}`);
  if (!/^[\w-]+$/.test(name)) throw new OptionError('record name', `expected letters, digits, '_' and '-' only, got '${name}'`);
  const nLeads = ecg.leads.length;
  const n = ecg.nSamples;
  const [lo, hi] = digitalRange(format);
  const invalid = invalidValue(format);
  const stream = new Int32Array(nLeads * n);
  const sums = new Array<number>(nLeads).fill(0);
  const inits = new Array<number>(nLeads).fill(0);
  for (let l = 0; l < nLeads; l++) {
    const src = ecg.signal.subarray(l * n, (l + 1) * n);
    let sum = 0;
    for (let t = 0; t < n; t++) {
      const x = src[t]!;
      const v = Number.isNaN(x) ? invalid : Math.min(hi, Math.max(lo, Math.round(x * gain)));
      stream[t * nLeads + l] = v;
      sum = (sum + v) | 0;
    }
    sums[l] = toInt16(sum);
    inits[l] = n > 0 ? stream[l]! : 0;
  }
  const datName = `${name}.dat`;
  const header: WfdbHeader = {
    recordName: name,
    nSignals: nLeads,
    fs: ecg.fs,
    nSamples: n,
    signals: ecg.leads.map((lead, l) => ({
      fileName: datName,
      format,
      samplesPerFrame: 1,
      skew: 0,
      byteOffset: 0,
      adcGain: gain,
      baseline: 0,
      units: 'mV',
      adcResolution: format === 212 ? 12 : 16,
      adcZero: 0,
      initValue: inits[l]!,
      checksum: sums[l]!,
      blockSize: 0,
      description: lead.replace(/\s+/g, ' ').trim(),
    })),
    comments: [...(opts.comments ?? []).map((c) => c.replace(/[\r\n]+/g, ' ')), ...metaToComments(ecg.meta)],
  };
  // Signal file first: a header on disk always has its samples complete.
  const datPath = join(dir, datName);
  writeFileAtomic(datPath, encodeSamples(format, stream));
  try {
    writeFileAtomic(join(dir, `${name}.hea`), formatHeader(header));
  } catch (e) {
    rmSync(datPath, { force: true }); // a signal file without its header is no record
    throw e;
  }
  return header;
}
