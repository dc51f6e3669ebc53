import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeEcg, type Ecg } from '../ecg.js';
import { canonicalLead } from '../leads.js';
import { DataError, FormatError, OptionError } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { formatHeader, FS_RANGE, readHeader, recordBase, type WfdbHeader, type WfdbSignalSpec } from './header.js';
import { digitalRange, encodeSamples, invalidValue } from './formats.js';
import { commentsToMeta, metaToComments } from './metadata.js';
import { DEFAULT_MAX_SAMPLES } from './io.js';
import { framesInFirstFile, groupByFile, readGroup, type SignalContext } from './signals.js';

/** A signal's checksum as declared by the header and as computed from its samples. */
export interface ChecksumReport {
  /** Canonical lead name. */
  lead: string;
  /** From the header; undefined when the header gives none. */
  expected?: number;
  /**
   * 16-bit sum of the signal's digital samples as stored in frames
   * [0, nSamples) of its file (for a skewed signal, not the skew-shifted
   * samples: WFDB's checksum covers the file), as a signed 16-bit value like
   * WFDB writes it.
   */
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
   * otherwise each multi-sample frame becomes its integer mean (rounded half
   * up), as WFDB's getvec returns it.
   */
  ecg: Ecg;
  checksums: ChecksumReport[];
  /**
   * Digital samples per signal in header order (samplesPerFrame x nSamples
   * each), skew applied: sample t of a signal skewed by s is stored in frame
   * t + s. Empty for multi-segment records.
   */
  digital: Int32Array[];
  /** The stored segments of a multi-segment record, in order (null '~' segments left out). */
  segments?: WfdbRecord[];
  /** One-line warnings raised while reading (checksum mismatches under 'warn', bytes past the declared samples), segments' included. */
  warnings: string[];
}

export interface ReadRecordOptions {
  /** What a checksum mismatch does: 'error' (default) throws a FormatError; 'warn' reports it in `checksums` and `warnings`. */
  checksum?: 'error' | 'warn';
  /** Where each warning goes as it is raised; process.emitWarning by default. Either way it is also in `warnings`. */
  onWarning?: (message: string) => void;
  /**
   * Most samples (all signals together, gaps of multi-segment records
   * included) to read; DEFAULT_MAX_SAMPLES (2^28, 1 GiB of float32) by
   * default. A larger record is refused before anything is allocated.
   */
  maxSamples?: number;
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

/** 16-bit sum of digital samples, as a signed 16-bit value. */
export function wfdbChecksum(digital: Int32Array): number {
  let sum = 0;
  for (let i = 0; i < digital.length; i++) sum = (sum + digital[i]!) | 0;
  return toInt16(sum);
}

/** Where a read's warnings go: `warnings` of the result, and the caller's sink (or process warnings). */
class Warnings {
  readonly list: string[] = [];
  constructor(private readonly opts: ReadRecordOptions) {}
  warn(message: string, type = 'WfdbWarning'): void {
    this.list.push(message);
    if (this.opts.onWarning) this.opts.onWarning(message);
    else process.emitWarning(message, type);
  }
}

function maxSamplesOf(opts: ReadRecordOptions): number {
  const m = opts.maxSamples ?? DEFAULT_MAX_SAMPLES;
  if (!(m > 0)) throw new OptionError('maxSamples', `expected a positive number of samples, got ${m}`);
  return m;
}

function tooLarge(headerFile: string, what: string, maxSamples: number): never {
  throw new FormatError(headerFile, `${what}, more than ecgx reads at once (at most ${maxSamples} samples, all signals together)`, { field: 'number of samples' });
}

/**
 * Reads a WFDB record: `path` is 'dir/name' or 'dir/name.hea'. Missing
 * samples (each format's invalid value) become NaN; checksums are verified
 * per signal. Multi-segment records are joined (see readMultiSegment).
 */
export function readRecord(path: string, opts: ReadRecordOptions = {}): WfdbRecord {
  const base = recordBase(path);
  const header = readHeader(base);
  const warnings = new Warnings(opts);
  if (header.nSegments !== undefined) return readMultiSegment(base, header, opts, warnings);
  return readSingleSegment(base, header, opts, warnings);
}

function readSingleSegment(base: string, header: WfdbHeader, opts: ReadRecordOptions, warnings: Warnings): WfdbRecord {
  const headerFile = base + '.hea';
  if (header.nSignals === 0) throw new FormatError(headerFile, 'record has no signals (expected at least one signal line)', { field: 'number of signals' });
  const maxSamples = maxSamplesOf(opts);
  const ctx: SignalContext = { dir: dirname(base), headerFile, header, maxSamples, warn: (m) => warnings.warn(m) };
  const groups = groupByFile(header);
  if (groups.every((g) => header.signals[g.signals[0]!]!.format === 0)) {
    throw new FormatError(headerFile, 'every signal is format 0 (no samples stored); expected at least one signal file', { field: 'format' });
  }
  // Signals with files first: they prove the sample count before format-0 signals allocate it.
  groups.sort((a, b) => Number(header.signals[a.signals[0]!]!.format === 0) - Number(header.signals[b.signals[0]!]!.format === 0));
  const declared = header.nSamples !== 0;
  const frameSamples = header.signals.reduce((a, s) => a + s.samplesPerFrame, 0);
  // Checked before and after an unknown count is found: a huge declared count must not reach a decoder.
  if (header.nSamples * frameSamples > maxSamples) tooLarge(headerFile, `${header.nSamples} frames of ${frameSamples} samples`, maxSamples);
  const nSamples = declared ? header.nSamples : framesInFirstFile(ctx, groups);
  if (nSamples * frameSamples > maxSamples) tooLarge(headerFile, `${nSamples} frames of ${frameSamples} samples`, maxSamples);
  const digital: Int32Array[] = new Array(header.nSignals);
  const storedSums: number[] = new Array(header.nSignals);
  for (const g of groups) {
    const r = readGroup(ctx, g, nSamples, declared);
    g.signals.forEach((i, k) => {
      digital[i] = r.digital[k]!;
      storedSums[i] = r.storedSums[k]!;
    });
  }

  const leads = header.signals.map((s, i) => (s.description !== '' ? s.description : `signal ${i}`));
  const checksums: ChecksumReport[] = header.signals.map((s, i) => {
    const actual = toInt16(storedSums[i]!);
    const expected = s.checksum;
    const ok = s.format === 0 || expected === undefined || toInt16(expected) === actual;
    const r: ChecksumReport = { lead: canonicalLead(leads[i]!), actual, ok };
    if (expected !== undefined) r.expected = expected;
    return r;
  });
  const bad = checksums.map((c, i) => ({ c, i })).filter((x) => !x.c.ok);
  if (bad.length > 0) {
    const files = [...new Set(bad.map((x) => header.signals[x.i]!.fileName))].map((f) => join(dirname(base), f)).join(', ');
    const list = bad.map((x) => `${x.c.lead} (header ${x.c.expected}, samples sum to ${x.c.actual})`).join('; ');
    const msg = `checksum mismatch for lead${bad.length > 1 ? 's' : ''} ${list} (from ${headerFile}; the samples differ from what the header recorded)`;
    if ((opts.checksum ?? 'error') === 'error') throw new FormatError(files, msg, { field: 'checksum' });
    warnings.warn(`${files}: ${msg}`, 'WfdbChecksumWarning');
  }

  const { signal, fs, nOut } = toPhysical(header, digital, nSamples);
  const meta = commentsToMeta(header.comments, header.recordName, headerFile);
  const ecg = makeEcg({ signal, fs, leads, meta });
  if (ecg.nSamples !== nOut) throw new Error('readRecord: internal length mismatch');
  return { header, ecg, checksums, digital, warnings: warnings.list };
}

/** Stand-in signal specs for a fixed-layout record with no stored segment: the record line gives only their number. */
function gapSpecs(n: number): WfdbSignalSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    fileName: '~', format: 0, samplesPerFrame: 1, skew: 0, byteOffset: 0, adcGain: 200, baseline: 0, units: 'mV',
    adcResolution: 12, adcZero: 0, initValue: 0, blockSize: 0, description: `signal ${i}`,
  }));
}

/**
 * A multi-segment record: its segments are single-segment records in the same
 * folder, concatenated in time; '~' segments are gaps (NaN). With a layout
 * segment first (0 samples, PhysioNet's variable layout), its signals are the
 * record's and each segment's signals are matched to them by name, missing
 * ones NaN; otherwise (fixed layout) every segment has the first stored one's
 * signals. A record of gaps only is all NaN, like wfdb-python reads it (with
 * the layout's signals, or 'signal 0'... when there is no layout). Each
 * segment converts to mV with its own gains. The returned header's `signals`
 * are the layout's.
 */
function readMultiSegment(base: string, header: WfdbHeader, opts: ReadRecordOptions, warnings: Warnings): WfdbRecord {
  const headerFile = base + '.hea';
  const dir = dirname(base);
  const segs = header.segments ?? [];
  const maxSamples = maxSamplesOf(opts);
  const fail = (what: string, field = 'segment'): never => {
    throw new FormatError(headerFile, what, { field });
  };
  const isLayout = segs.length > 0 && segs[0]!.recordName !== '~' && segs[0]!.nSamples === 0;
  const parts = isLayout ? segs.slice(1) : segs;
  const firstStored = parts.find((p) => p.recordName !== '~');
  const layoutName = isLayout ? segs[0]!.recordName : firstStored?.recordName;
  let layoutSignals: WfdbSignalSpec[];
  let layoutComments: string[] = [];
  if (layoutName !== undefined) {
    const layout = readHeader(join(dir, layoutName));
    if (layout.nSegments !== undefined) fail(`segment ${layout.recordName} is itself multi-segment (expected single-segment segments)`);
    layoutSignals = layout.signals;
    layoutComments = layout.comments;
    if (header.nSignals !== layoutSignals.length) fail(`the record line declares ${header.nSignals} signal(s) but the layout segment ${layout.recordName} has ${layoutSignals.length}`, 'number of signals');
  } else {
    if (header.nSignals === 0) fail('every segment is a gap (~) and the record line declares no signals (expected at least one signal)', 'number of signals');
    layoutSignals = gapSpecs(header.nSignals);
  }
  const leads = layoutSignals.map((s, i) => canonicalLead(s.description !== '' ? s.description : `signal ${i}`));
  const total = parts.reduce((a, p) => a + p.nSamples, 0);
  if (header.nSamples !== 0 && header.nSamples !== total) fail(`the segments hold ${total} samples but the record line declares ${header.nSamples}`, 'number of samples');
  // Gaps count: they become NaN in the joined signal.
  if (total * leads.length > maxSamples) tooLarge(headerFile, `the segments hold ${total} samples (gaps included) x ${leads.length} signals`, maxSamples);

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
      const rec = readSingleSegment(segBase, segHeader, opts, warnings);
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
  const meta = commentsToMeta(header.comments.length > 0 ? header.comments : layoutComments, header.recordName, headerFile);
  const ecg = makeEcg({ signal, fs: fs ?? header.fs, leads, meta });
  return { header: { ...header, nSamples: total, signals: layoutSignals }, ecg, checksums, digital: [], segments, warnings: warnings.list };
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
      // WFDB's getvec (meansamp): the integer mean of the frame's samples,
      // rounded half up, and missing if any of them is.
      const spf = s.samplesPerFrame;
      const half = Math.floor(spf / 2);
      for (let t = 0; t < nOut; t++) {
        let acc = half;
        for (let j = t * spf; j < (t + 1) * spf; j++) {
          const v = d[j]!;
          acc += v === invalid ? NaN : v;
        }
        signal[o + t] = (Math.floor(acc / spf) - baseline) * scale;
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
  if (!(ecg.fs >= FS_RANGE.min && ecg.fs <= FS_RANGE.max)) throw new DataError(`cannot write a WFDB record at ${ecg.fs} Hz (expected ${FS_RANGE.min} to ${FS_RANGE.max} Hz, what readers accept)`);
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
