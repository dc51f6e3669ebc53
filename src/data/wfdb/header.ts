import { FormatError } from '../../util/errors.js';
import { MAX_HEADER_BYTES, readRegularFile } from './io.js';

export { ioReason } from './io.js';

/**
 * One signal line of a WFDB header (see PhysioNet's header(5)). Absent fields
 * take the defaults of the WFDB library, so every field here is filled.
 */
export interface WfdbSignalSpec {
  /** Signal file, relative to the header's folder ('~' for format 0: no file). */
  fileName: string;
  /** Storage format code (16, 212, ...). */
  format: number;
  /** Samples of this signal in each frame (the 'x' suffix); 1 by default. */
  samplesPerFrame: number;
  /** Frames by which this signal lags the frame counter (the ':' suffix). */
  skew: number;
  /** Bytes to skip at the start of the signal file (the '+' suffix), e.g. a .mat prolog. */
  byteOffset: number;
  /** ADC units per physical unit; 200 when absent or zero. */
  adcGain: number;
  /** Digital value of physical zero; ADC zero when absent. */
  baseline: number;
  /** Physical units of the signal; 'mV' when absent. */
  units: string;
  /** Bits of ADC resolution; 12 (10 for formats 8, 310 and 311, 8 for format 80) when absent. */
  adcResolution: number;
  /** Digital value at the middle of the ADC range; 0 when absent. */
  adcZero: number;
  /** First sample's digital value (needed by format 8); ADC zero when absent. */
  initValue: number;
  /** 16-bit sum of all digital samples, when the header gives one. */
  checksum?: number;
  /** Block size for character-device files; 0 for ordinary files. */
  blockSize: number;
  /** Signal description, usually the lead name ('' when absent). */
  description: string;
}

/** A segment of a multi-segment record (the lines after its record line). */
export interface WfdbSegmentSpec {
  recordName: string;
  nSamples: number;
}

/** A parsed WFDB header (.hea). */
export interface WfdbHeader {
  recordName: string;
  /** Present for multi-segment records only. */
  nSegments?: number;
  nSignals: number;
  /** Frame rate in Hz; 250 when absent. */
  fs: number;
  /** Counter frequency in Hz, when the header gives one. */
  counterFreq?: number;
  /** Counter value of sample 0, when the header gives one. */
  baseCounter?: number;
  /** Samples per signal (frames); 0 when the header leaves it unknown. */
  nSamples: number;
  /** 'hh:mm:ss(.sss)' as written. */
  baseTime?: string;
  /** 'dd/mm/yyyy' as written. */
  baseDate?: string;
  signals: WfdbSignalSpec[];
  /** Segment lines of a multi-segment record. */
  segments?: WfdbSegmentSpec[];
  /** Comment lines, without the leading '#', trimmed. */
  comments: string[];
}

/**
 * Sampling frequencies ecgx accepts, in Hz. WFDB itself refuses fs <= 0. The
 * lower end admits slow trend records (MIMIC numerics are sampled once a
 * second or once a minute, 0.0167 Hz); the upper end is far above any ECG or
 * physiological recording on PhysioNet (the fastest are a few tens of kHz).
 * Outside it a value is a typo or a corrupt header, and it would only make
 * every downstream stage (resampling, filters, plots) misbehave.
 */
export const FS_RANGE = { min: 1e-3, max: 1e6 } as const;

const INT = /^[-+]?\d+$/;
// Written without nested optional digit runs, so a long bad token fails in linear time.
const NUM = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/** Default ADC resolution (bits) by format, per header(5). */
export function defaultAdcResolution(format: number): number {
  if (format === 80) return 8;
  if (format === 8 || format === 310 || format === 311) return 10;
  return 12;
}

interface Token {
  text: string;
  start: number;
}

function tokens(line: string): Token[] {
  const out: Token[] = [];
  const re = /\S+/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) out.push({ text: m[0], start: m.index });
  return out;
}

class LineReader {
  constructor(
    readonly file: string,
    readonly line: number,
  ) {}
  fail(field: string, what: string): never {
    throw new FormatError(this.file, what, { line: this.line, field });
  }
  int(field: string, text: string, min = -Infinity): number {
    if (!INT.test(text)) this.fail(field, `expected an integer, got '${text}'`);
    const n = Number(text);
    if (!Number.isSafeInteger(n)) this.fail(field, `expected an integer of reasonable size, got '${text}'`);
    if (n < min) this.fail(field, `expected an integer >= ${min}, got '${text}'`);
    return n;
  }
  num(field: string, text: string): number {
    if (!NUM.test(text)) this.fail(field, `expected a number, got '${text}'`);
    const n = Number(text);
    if (!Number.isFinite(n)) this.fail(field, `expected a finite number, got '${text}'`);
    return n;
  }
}

function parseRecordLine(r: LineReader, line: string, header: WfdbHeader): void {
  const t = tokens(line).map((x) => x.text);
  const nameMatch = /^([^/\s]+)(?:\/(\d+))?$/.exec(t[0]!);
  if (!nameMatch) r.fail('record name', `expected 'name' or 'name/segments', got '${t[0]}'`);
  header.recordName = nameMatch[1]!;
  if (nameMatch[2] !== undefined) header.nSegments = r.int('number of segments', nameMatch[2], 1);
  if (t.length < 2) r.fail('number of signals', 'expected the number of signals after the record name');
  header.nSignals = r.int('number of signals', t[1]!, 0);
  if (t.length > 2) {
    const m = /^([^/]+)(?:\/([^(]+)(?:\(([^)]*)\))?)?$/.exec(t[2]!);
    if (!m) r.fail('sampling frequency', `expected 'fs', 'fs/counter' or 'fs/counter(base)', got '${t[2]}'`);
    const fs = r.num('sampling frequency', m[1]!);
    if (!(fs >= FS_RANGE.min && fs <= FS_RANGE.max)) {
      r.fail('sampling frequency', `expected a frequency from ${FS_RANGE.min} to ${FS_RANGE.max} Hz (0.001 Hz is one sample per 1000 s, 1e6 Hz is 1 MHz), got '${m[1]}'`);
    }
    header.fs = fs;
    if (m[2] !== undefined) {
      const cf = r.num('counter frequency', m[2]);
      if (cf > 0) header.counterFreq = cf;
    }
    if (m[3] !== undefined) header.baseCounter = r.num('base counter value', m[3]);
  }
  if (t.length > 3) header.nSamples = r.int('number of samples', t[3]!, 0);
  const TIME = /^\d{1,2}(:\d{1,2}){0,2}(\.\d+)?$/;
  if (t.length > 5 && /^\d{1,2}-[A-Za-z]{3}-\d{4}$/.test(t[4]!) && TIME.test(t[5]!)) {
    // PhysioNet Challenge 2020 headers write 'dd-Mon-yyyy hh:mm:ss'.
    header.baseDate = t[4]!;
    header.baseTime = t[5]!;
  } else {
    if (t.length > 4) {
      if (!TIME.test(t[4]!)) r.fail('base time', `expected hh:mm:ss, got '${t[4]}'`);
      header.baseTime = t[4]!;
    }
    if (t.length > 5) {
      if (!/^\d{1,2}\/\d{1,2}\/\d{1,4}$/.test(t[5]!)) r.fail('base date', `expected dd/mm/yyyy, got '${t[5]}'`);
      header.baseDate = t[5]!;
    }
  }
  if (t.length > 6) r.fail('record line', `expected at most 6 fields (name, signals, fs, samples, time, date), got ${t.length}`);
}

function parseSignalLine(r: LineReader, line: string): WfdbSignalSpec {
  const tk = tokens(line);
  const t = tk.map((x) => x.text);
  if (t.length < 2) r.fail('format', `expected 'file format ...' on a signal line, got '${line.trim()}'`);
  const fm = /^(\d+)(?:x(\d+))?(?::(\d+))?(?:\+(\d+))?$/.exec(t[1]!);
  if (!fm) r.fail('format', `expected 'format[xframes][:skew][+offset]' e.g. '16' or '16x1+24', got '${t[1]}'`);
  const format = r.int('format', fm[1]!, 0);
  const spec: WfdbSignalSpec = {
    fileName: t[0]!,
    format,
    samplesPerFrame: fm[2] !== undefined ? r.int('samples per frame', fm[2], 1) : 1,
    skew: fm[3] !== undefined ? r.int('skew', fm[3], 0) : 0,
    byteOffset: fm[4] !== undefined ? r.int('byte offset', fm[4], 0) : 0,
    adcGain: 200,
    baseline: 0,
    units: 'mV',
    adcResolution: defaultAdcResolution(format),
    adcZero: 0,
    initValue: 0,
    blockSize: 0,
    description: '',
  };
  let baseline: number | undefined;
  let initValue: number | undefined;
  if (t.length > 2) {
    const gm = /^([^(/]+)(?:\(([^)]*)\))?(?:\/(.*))?$/.exec(t[2]!);
    if (!gm) r.fail('ADC gain', `expected 'gain[(baseline)][/units]' e.g. '200(0)/mV', got '${t[2]}'`);
    const gain = r.num('ADC gain', gm[1]!);
    if (gain !== 0) spec.adcGain = gain;
    if (gm[2] !== undefined) baseline = r.int('baseline', gm[2]);
    if (gm[3] !== undefined && gm[3] !== '') spec.units = gm[3];
  }
  if (t.length > 3) {
    const res = r.int('ADC resolution', t[3]!, 0);
    if (res > 32) r.fail('ADC resolution', `expected at most 32 bits, got '${t[3]}'`);
    if (res > 0) spec.adcResolution = res;
  }
  if (t.length > 4) spec.adcZero = r.int('ADC zero', t[4]!);
  if (t.length > 5) initValue = r.int('initial value', t[5]!);
  if (t.length > 6) spec.checksum = r.int('checksum', t[6]!);
  if (t.length > 7) spec.blockSize = r.int('block size', t[7]!, 0);
  if (t.length > 8) spec.description = line.slice(tk[8]!.start).trim();
  spec.baseline = baseline ?? spec.adcZero;
  spec.initValue = initValue ?? spec.adcZero;
  return spec;
}

/**
 * Parses the text of a WFDB header. `file` names the header in error messages,
 * which also give the line and field at fault.
 */
export function parseHeader(text: string, file: string): WfdbHeader {
  const header: WfdbHeader = { recordName: '', nSignals: 0, fs: 250, nSamples: 0, signals: [], comments: [] };
  let sawRecordLine = false;
  const lines = text.split(/\r?\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const r = new LineReader(file, i + 1);
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (trimmed.startsWith('#')) {
      header.comments.push(trimmed.slice(1).trim());
      continue;
    }
    if (!sawRecordLine) {
      parseRecordLine(r, line, header);
      sawRecordLine = true;
      continue;
    }
    if (header.nSegments !== undefined) {
      const t = tokens(line).map((x) => x.text);
      if (t.length !== 2) r.fail('segment', `expected 'segment-name samples', got '${trimmed}'`);
      (header.segments ??= []).push({ recordName: t[0]!, nSamples: r.int('segment samples', t[1]!, 0) });
      continue;
    }
    if (header.signals.length >= header.nSignals) {
      r.fail('number of signals', `the record line declares ${header.nSignals} signal(s) but another signal line follows`);
    }
    header.signals.push(parseSignalLine(r, line));
  }
  if (!sawRecordLine) throw new FormatError(file, 'no record line (expected "name signals [fs [samples]]")', { line: 1 });
  if (header.nSegments !== undefined) {
    const n = header.segments?.length ?? 0;
    if (n !== header.nSegments) {
      throw new FormatError(file, `the record line declares ${header.nSegments} segment(s) but ${n} segment line(s) follow`, { field: 'number of segments' });
    }
  } else if (header.signals.length !== header.nSignals) {
    throw new FormatError(file, `the record line declares ${header.nSignals} signal(s) but ${header.signals.length} signal line(s) follow`, { field: 'number of signals' });
  }
  return header;
}

/**
 * Where a record's files live: accepts 'dir/name', 'dir/name.hea' (and a
 * trailing '.dat' out of kindness) and returns the path without extension.
 */
export function recordBase(path: string): string {
  return path.replace(/\.(hea|dat)$/i, '');
}

/** Reads and parses `<record>.hea`; `path` is 'dir/name' or 'dir/name.hea'. */
export function readHeader(path: string): WfdbHeader {
  const file = recordBase(path) + '.hea';
  let text = Buffer.from(readRegularFile(file, 'a WFDB header', MAX_HEADER_BYTES)).toString('latin1');
  // Editors on Windows may prepend a UTF-8 byte-order mark (read as latin1 here).
  if (text.startsWith('\u00ef\u00bb\u00bf')) text = text.slice(3);
  return parseHeader(text, file);
}

function fmtNumber(x: number): string {
  return Number.isInteger(x) ? String(x) : String(+x.toPrecision(12));
}

/** Writes a header back as text (single-segment records), the inverse of parseHeader. */
export function formatHeader(h: WfdbHeader): string {
  let rec = `${h.recordName} ${h.nSignals} ${fmtNumber(h.fs)}`;
  if (h.counterFreq !== undefined) rec += `/${fmtNumber(h.counterFreq)}` + (h.baseCounter !== undefined ? `(${fmtNumber(h.baseCounter)})` : '');
  rec += ` ${h.nSamples}`;
  if (h.baseTime !== undefined) {
    if (h.baseDate !== undefined && /^\d{1,2}-[A-Za-z]{3}-\d{4}$/.test(h.baseDate)) rec += ` ${h.baseDate} ${h.baseTime}`;
    else rec += ` ${h.baseTime}` + (h.baseDate !== undefined ? ` ${h.baseDate}` : '');
  }
  const lines = [rec];
  for (const s of h.signals) {
    let fmt = String(s.format);
    if (s.samplesPerFrame !== 1) fmt += `x${s.samplesPerFrame}`;
    if (s.skew !== 0) fmt += `:${s.skew}`;
    if (s.byteOffset !== 0) fmt += `+${s.byteOffset}`;
    const gain = `${fmtNumber(s.adcGain)}(${s.baseline})/${s.units}`;
    const fields: (string | number)[] = [s.fileName, fmt, gain, s.adcResolution, s.adcZero, s.initValue];
    // The fields are positional: a missing checksum can only be left out when nothing follows it.
    // Otherwise it is written as 0, which readers will then check against the samples.
    if (s.checksum !== undefined || s.blockSize !== 0 || s.description !== '') fields.push(s.checksum ?? 0, s.blockSize);
    if (s.description !== '') fields.push(s.description);
    lines.push(fields.join(' '));
  }
  for (const c of h.comments) lines.push(`#${c}`);
  return lines.join('\n') + '\n';
}
