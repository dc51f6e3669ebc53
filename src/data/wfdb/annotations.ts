import type { WaveInterval, WaveKind } from '../ecg.js';
import { FormatError, IoError } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { readHeader, recordBase } from './header.js';
import { readRegularFile } from './io.js';

/**
 * One annotation of a WFDB annotation file (MIT format, PhysioNet's annot(5)).
 * `subtype` and `num` are signed bytes and `chan` an unsigned byte, as in the
 * WFDB library; `num` and `chan` carry over from the previous annotation
 * unless a NUM/CHN pseudo-annotation changes them.
 */
export interface Annotation {
  /** Sample index (frame number) at the record's sampling rate. */
  sample: number;
  /** Annotation code mnemonic: 'N', 'V', '(', ')', 'p', 't', '"', ... ('[42]' for codes without one). */
  symbol: string;
  subtype: number;
  chan: number;
  num: number;
  /** Auxiliary text ('' when none), e.g. rhythm changes '(AFIB'. */
  aux: string;
}

/** Highest code an annotation word can carry; 59-63 are the SKIP/NUM/SUB/CHN/AUX pseudo-codes. */
const MAX_CODE = 58;

/** Mnemonics of the standard annotation codes (WFDB's ecgcodes.h), indexed by code. */
export const ANNOTATION_SYMBOLS: readonly string[] = (() => {
  const table: Record<number, string> = {
    0: ' ', 1: 'N', 2: 'L', 3: 'R', 4: 'a', 5: 'V', 6: 'F', 7: 'J', 8: 'A', 9: 'S', 10: 'E', 11: 'j', 12: '/', 13: 'Q', 14: '~',
    16: '|', 18: 's', 19: 'T', 20: '*', 21: 'D', 22: '"', 23: '=', 24: 'p', 25: 'B', 26: '^', 27: 't', 28: '+', 29: 'u', 30: '?',
    31: '!', 32: '[', 33: ']', 34: 'e', 35: 'n', 36: '@', 37: 'x', 38: 'f', 39: '(', 40: ')', 41: 'r',
  };
  const out: string[] = [];
  for (let c = 0; c <= MAX_CODE; c++) out.push(table[c] ?? `[${c}]`);
  return out;
})();

const SKIP = 59;
const NUM = 60;
const SUB = 61;
const CHN = 62;
const AUX = 63;

const CODE_OF = new Map<string, number>(ANNOTATION_SYMBOLS.map((s, c) => [s, c]));

/** Code of an annotation symbol, or undefined if it has none. */
export function annotationCode(symbol: string): number | undefined {
  return CODE_OF.get(symbol);
}

function int8(x: number): number {
  return ((x & 0xff) << 24) >> 24;
}

/** An annotation as stored: its code, before label definitions give it a symbol. */
interface RawAnnotation {
  sample: number;
  code: number;
  subtype: number;
  chan: number;
  num: number;
  aux: string;
}

/** Decodes the annotation words of an MIT-format file, header block included. */
function decodeRaw(bytes: Uint8Array, file: string): RawAnnotation[] {
  const anns: RawAnnotation[] = [];
  const n = bytes.length;
  let pos = 0;
  let time = 0;
  let chan = 0;
  let num = 0;
  let ended = false;
  const word = (what: string): number => {
    if (pos + 2 > n) throw new FormatError(file, `truncated at byte ${pos} of ${n}: expected ${what}`);
    const w = bytes[pos]! | (bytes[pos + 1]! << 8);
    pos += 2;
    return w;
  };
  const last = (code: number): RawAnnotation => {
    const a = anns[anns.length - 1];
    if (a === undefined) throw new FormatError(file, `pseudo-annotation ${code} at byte ${pos - 2} precedes any annotation (expected an annotation first)`);
    return a;
  };
  while (pos < n) {
    const w = word('a 16-bit annotation word');
    const code = w >> 10;
    const data = w & 0x3ff;
    if (code === 0 && data === 0) {
      ended = true;
      break;
    }
    switch (code) {
      case SKIP: {
        const hi = word('the high half of a SKIP interval');
        const lo = word('the low half of a SKIP interval');
        time += ((hi << 16) | lo) | 0; // PDP-11 order: high 16-bit word first
        break;
      }
      case NUM:
        num = last(code).num = int8(data);
        break;
      case SUB:
        last(code).subtype = int8(data);
        break;
      case CHN:
        chan = last(code).chan = data & 0xff;
        break;
      case AUX: {
        const a = last(code);
        const padded = data + (data & 1);
        if (pos + padded > n) throw new FormatError(file, `truncated at byte ${pos} of ${n}: expected ${data} bytes of auxiliary text`);
        let end = pos + data;
        // WFDB writes a C string: stop at the first NUL.
        const nul = bytes.subarray(pos, end).indexOf(0);
        if (nul >= 0) end = pos + nul;
        a.aux = Buffer.from(bytes.buffer, bytes.byteOffset + pos, end - pos).toString('utf8');
        pos += padded;
        break;
      }
      default:
        time += data;
        anns.push({ sample: time, code, subtype: 0, chan, num, aux: '' });
    }
  }
  if (!ended) throw new FormatError(file, `truncated: ${n} bytes end without the end-of-file word 0x0000 (expected a complete annotation file)`);
  return anns;
}

/** A label definition from an annotation file's header block, e.g. '15 c calibration pulse'. */
export interface CustomLabel {
  /** Annotation code, 0-49 (WFDB's ACMAX). */
  code: number;
  /** Mnemonic that annotations with this code carry as `symbol`. */
  symbol: string;
  /** Description ('' when none). */
  description: string;
}

/** An annotation file as WFDB reads it: the annotations, and what its header block said. */
export interface AnnotationFile {
  annotations: Annotation[];
  /**
   * Ticks per second of the stored sample numbers, when the header block
   * states one ('## time resolution: 1000'): an annotator may mark time more
   * finely than the record is sampled.
   */
  timeResolution?: number;
  /**
   * Rate of the `sample` values of `annotations`: the record's when they were
   * converted to it (see decodeAnnotationFile), else the time resolution;
   * undefined when neither is known.
   */
  fs?: number;
  /** Label definitions of the header block; they set `symbol` of the annotations with those codes. */
  customLabels: CustomLabel[];
  /** Other notes of the header block, e.g. the program that wrote the file ('gqrs -r 100'). */
  notes: string[];
}

/** Highest code a label definition may name (WFDB's ACMAX). */
const ACMAX = 49;
const NOTE = 22;
const TIME_RESOLUTION = /^## time resolution: *([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)/;
const LABEL = /^[ \t]*(\d+)[ \t]+(\S+)(?:[ \t]([^]*))?$/;

export interface DecodeAnnotationOptions {
  /** The record's sampling rate as ecgx reads it (its Ecg's fs): sample numbers are converted to it. */
  fs?: number;
  /** The record's frame rate: the rate of the stored sample numbers when the file states no time resolution. */
  frameRate?: number;
}

/**
 * Decodes an MIT-format annotation file as the WFDB library reads it. Its
 * header block (the annotations at sample 0 before any other: NOTEs with
 * subtype 0 and the null annotation that ends them) is consumed, not
 * returned: '## time resolution: R' sets `timeResolution`, 'code symbol
 * description' lines define custom labels (applied to every later annotation
 * of that code), '## annotation type definitions' / '## end of definitions'
 * markers are dropped, and anything else (a program note such as
 * 'gqrs -r 100') goes to `notes`. wfdb-python drops the same annotations.
 *
 * Sample numbers are stored at the time resolution, or else at the record's
 * frame rate. Given `opts.fs` (the rate ecgx reads the record at: the frame
 * rate times the samples per frame when all signals share one), they are
 * converted to it, rounding half up like WFDB's getann; otherwise they are
 * returned as stored.
 */
export function decodeAnnotationFile(bytes: Uint8Array, file: string, opts: DecodeAnnotationOptions = {}): AnnotationFile {
  const raw = decodeRaw(bytes, file);
  const customLabels: CustomLabel[] = [];
  const notes: string[] = [];
  let timeResolution: number | undefined;
  let i = 0;
  for (; i < raw.length; i++) {
    const a = raw[i]!;
    if (a.sample !== 0 || !((a.code === NOTE && a.subtype === 0) || a.code === 0)) break;
    if (a.code === 0 || a.aux === '') continue;
    if (a.aux.startsWith('#')) {
      const m = TIME_RESOLUTION.exec(a.aux);
      if (m) {
        const r = Number(m[1]);
        if (!(r > 0 && Number.isFinite(r))) throw new FormatError(file, `header block: time resolution '${m[1]}' (expected a positive number of ticks per second)`);
        timeResolution = r;
      }
      continue;
    }
    const m = LABEL.exec(a.aux);
    const code = m ? Number(m[1]) : -1;
    if (m && code <= ACMAX) {
      const label = { code, symbol: m[2]!, description: (m[3] ?? '').trim() };
      const k = customLabels.findIndex((l) => l.code === code);
      if (k >= 0) customLabels[k] = label;
      else customLabels.push(label);
    } else {
      notes.push(a.aux.trim());
    }
  }
  const symbolOf = new Map(customLabels.map((l) => [l.code, l.symbol]));
  const native = timeResolution ?? opts.frameRate;
  const scale = opts.fs !== undefined && native !== undefined && opts.fs !== native ? opts.fs / native : 1;
  const annotations = raw.slice(i).map((a) => ({
    sample: scale === 1 ? a.sample : Math.floor(a.sample * scale + 0.5),
    symbol: symbolOf.get(a.code) ?? ANNOTATION_SYMBOLS[a.code]!,
    subtype: a.subtype,
    chan: a.chan,
    num: a.num,
    aux: a.aux,
  }));
  const out: AnnotationFile = { annotations, customLabels, notes };
  if (timeResolution !== undefined) out.timeResolution = timeResolution;
  const fs = scale !== 1 ? opts.fs : (native ?? opts.fs);
  if (fs !== undefined) out.fs = fs;
  return out;
}

/** Decodes the bytes of an MIT-format annotation file (header block consumed, samples as stored); `file` names it in errors. */
export function decodeAnnotations(bytes: Uint8Array, file: string): Annotation[] {
  return decodeAnnotationFile(bytes, file).annotations;
}

/** What an annotation file's header block should say (see decodeAnnotationFile). */
export interface EncodeAnnotationOptions {
  /** Written as '## time resolution: R'; sample numbers are then taken to be in its ticks. */
  timeResolution?: number;
  /** Label definitions: annotations may then use these symbols. */
  customLabels?: readonly CustomLabel[];
  /** Notes written at sample 0 after the block, e.g. the program that made the file. */
  notes?: readonly string[];
}

/**
 * Encodes annotations in MIT format. They are written in time order (stable by
 * sample); pseudo-annotations are emitted only where a field differs from
 * what the reader would infer. A header block is written first when `opts`
 * asks for one, as the WFDB library writes it.
 */
export function encodeAnnotations(anns: readonly Annotation[], opts: EncodeAnnotationOptions = {}): Uint8Array {
  const sorted = anns.map((a, i) => ({ a, i })).sort((x, y) => x.a.sample - y.a.sample || x.i - y.i).map((x) => x.a);
  const labels = opts.customLabels ?? [];
  for (const l of labels) {
    if (!(Number.isInteger(l.code) && l.code >= 1 && l.code <= ACMAX)) throw new RangeError(`encodeAnnotations: custom label code ${l.code} must be an integer in 1..${ACMAX}`);
    if (!/^\S+$/.test(l.symbol)) throw new RangeError(`encodeAnnotations: custom label symbol '${l.symbol}' must be one word`);
  }
  const codeOf = new Map<string, number>(labels.map((l) => [l.symbol, l.code]));
  const out: number[] = [];
  const put = (w: number): void => {
    out.push(w & 0xff, (w >> 8) & 0xff);
  };
  const putAux = (text: string): void => {
    const b = Buffer.from(text, 'utf8');
    if (b.length > 255) throw new RangeError(`encodeAnnotations: aux text of ${b.length} bytes exceeds 255`);
    put((AUX << 10) | b.length);
    for (const x of b) out.push(x);
    if (b.length & 1) out.push(0);
  };
  const blockNote = (text: string): void => {
    put(NOTE << 10);
    putAux(text);
  };
  let block = false;
  if (opts.timeResolution !== undefined) {
    if (!(opts.timeResolution > 0 && Number.isFinite(opts.timeResolution))) throw new RangeError(`encodeAnnotations: time resolution ${opts.timeResolution} must be a positive number`);
    blockNote(`## time resolution: ${+opts.timeResolution.toPrecision(12)}`);
    block = true;
  }
  if (labels.length > 0) {
    blockNote('## annotation type definitions');
    for (const l of labels) blockNote(`${l.code} ${l.symbol} ${l.description}`);
    blockNote('## end of definitions');
    block = true;
  }
  if (block) {
    // The null annotation that ends the block: a SKIP of -1, then code 0 one tick later (a zero word would end the file).
    put(SKIP << 10);
    put(0xffff);
    put(0xffff);
    put(1);
  }
  for (const note of opts.notes ?? []) blockNote(note);
  let time = 0;
  let chan = 0;
  let num = 0;
  for (const a of sorted) {
    const code = codeOf.get(a.symbol) ?? annotationCode(a.symbol);
    if (code === undefined || code === 0) throw new RangeError(`encodeAnnotations: symbol '${a.symbol}' has no annotation code (expected one of ${ANNOTATION_SYMBOLS.slice(1, 42).join(' ')}, or a custom label)`);
    if (!Number.isSafeInteger(a.sample) || a.sample < 0) throw new RangeError(`encodeAnnotations: sample ${a.sample} must be a non-negative integer`);
    if (!(Number.isInteger(a.subtype) && a.subtype >= -128 && a.subtype <= 127)) throw new RangeError(`encodeAnnotations: subtype ${a.subtype} must be an integer in -128..127`);
    if (!(Number.isInteger(a.num) && a.num >= -128 && a.num <= 127)) throw new RangeError(`encodeAnnotations: num ${a.num} must be an integer in -128..127`);
    if (!(Number.isInteger(a.chan) && a.chan >= 0 && a.chan <= 255)) throw new RangeError(`encodeAnnotations: chan ${a.chan} must be an integer in 0..255`);
    let interval = a.sample - time;
    if (interval > 0x3ff) {
      if (interval > 0x7fffffff) throw new RangeError(`encodeAnnotations: gap of ${interval} samples exceeds 2^31 - 1`);
      put(SKIP << 10);
      put((interval >>> 16) & 0xffff);
      put(interval & 0xffff);
      interval = 0;
    }
    put((code << 10) | interval);
    time = a.sample;
    if (a.subtype !== 0) put((SUB << 10) | (a.subtype & 0x3ff));
    if (a.chan !== chan) put((CHN << 10) | a.chan);
    if (a.num !== num) put((NUM << 10) | (a.num & 0x3ff));
    chan = a.chan;
    num = a.num;
    if (a.aux !== '') putAux(a.aux);
  }
  put(0);
  return Uint8Array.from(out);
}

/** Path of a record's annotation file: 'dir/name' + 'atr' -> 'dir/name.atr'. */
export function annotationPath(recordPath: string, extension: string): string {
  return `${recordBase(recordPath)}.${extension}`;
}

/** Largest annotation file ecgx reads (MIT-BIH's largest are under 1 MiB; a day of beat labels is a few MiB). */
const MAX_ANNOTATION_BYTES = 256 * 2 ** 20;

/**
 * The rates readAnnotationFile converts with, from the record's header when
 * there is one: its frame rate, and the rate ecgx reads it at (frame rate x
 * samples per frame when all signals share one).
 */
function recordRates(recordPath: string): DecodeAnnotationOptions {
  let h;
  try {
    h = readHeader(recordPath);
  } catch (e) {
    // Annotations are readable without their record; then samples stay as stored.
    if (e instanceof IoError && /no such file/.test(e.message)) return {};
    throw e;
  }
  const spf = h.signals.map((s) => s.samplesPerFrame);
  const k = spf.length > 0 && spf.every((x) => x === spf[0]) ? spf[0]! : 1;
  return { frameRate: h.fs, fs: h.fs * k };
}

/**
 * Reads annotation file `<record>.<extension>` as WFDB reads it (see
 * decodeAnnotationFile). Sample numbers are converted to the rate ecgx reads
 * the record at, taken from its header (`opts` overrides; without either,
 * they stay as stored).
 */
export function readAnnotationFile(recordPath: string, extension: string, opts?: DecodeAnnotationOptions): AnnotationFile {
  const file = annotationPath(recordPath, extension);
  const bytes = readRegularFile(file, 'a WFDB annotation file', MAX_ANNOTATION_BYTES);
  return decodeAnnotationFile(bytes, file, opts ?? recordRates(recordPath));
}

/** The annotations of `<record>.<extension>` (e.g. readAnnotations('ludb/1', 'ii')); see readAnnotationFile. */
export function readAnnotations(recordPath: string, extension: string, opts?: DecodeAnnotationOptions): Annotation[] {
  return readAnnotationFile(recordPath, extension, opts).annotations;
}

/** Writes annotation file `<record>.<extension>` atomically. */
export function writeAnnotations(recordPath: string, extension: string, anns: Annotation[], opts: EncodeAnnotationOptions = {}): void {
  writeFileAtomic(annotationPath(recordPath, extension), encodeAnnotations(anns, opts));
}

const PEAK_WAVE: Record<string, WaveKind> = { p: 'P', t: 'T' };
// Beat symbols mark a QRS complex (WFDB's isqrs set).
for (const s of ['N', 'L', 'R', 'a', 'V', 'F', 'J', 'A', 'S', 'E', 'j', '/', 'Q', 'e', 'n', 'r', 'f', 'B']) PEAK_WAVE[s] = 'QRS';

/**
 * LUDB-style wave boundaries -> intervals. Each `)` closes one wave: its kind
 * comes from the single peak symbol since the previous `)` (`p` = P, `N` or
 * another beat symbol = QRS, `t` = T) and its onset from the `(` in the same
 * span. LUDB's paced beats often lack the `(` (the beat symbol sits on the
 * pacing spike), or put it a sample after the peak; then the onset is the
 * earlier of the two, so onset <= peak <= offset always holds. Spans with no
 * or several peak symbols have no defined kind and are dropped. Other symbols
 * are ignored.
 */
export function annotationsToWaves(anns: readonly Annotation[]): WaveInterval[] {
  const waves: WaveInterval[] = [];
  let onset: number | undefined;
  let peak: { wave: WaveKind; sample: number } | undefined;
  let peaks = 0;
  for (const a of anns) {
    if (a.symbol === '(') {
      onset = a.sample;
    } else if (a.symbol === ')') {
      if (peaks === 1 && peak !== undefined && peak.sample <= a.sample) {
        const start = onset === undefined ? peak.sample : Math.min(onset, peak.sample);
        waves.push({ wave: peak.wave, onset: start, peak: peak.sample, offset: a.sample });
      }
      onset = undefined;
      peak = undefined;
      peaks = 0;
    } else {
      const wave = PEAK_WAVE[a.symbol];
      if (wave === undefined) continue;
      peak = { wave, sample: a.sample };
      peaks++;
    }
  }
  return waves;
}

const WAVE_SYMBOL: Record<WaveKind, string> = { P: 'p', QRS: 'N', T: 't' };

/**
 * Wave intervals -> LUDB-style `(` peak `)` triplets on channel `chan`. A
 * wave without a peak gets its midpoint. Waves are written in onset order.
 */
export function wavesToAnnotations(waves: readonly WaveInterval[], chan = 0): Annotation[] {
  const sorted = [...waves].sort((a, b) => a.onset - b.onset || a.offset - b.offset);
  const anns: Annotation[] = [];
  const mk = (sample: number, symbol: string): Annotation => ({ sample, symbol, subtype: 0, chan, num: 0, aux: '' });
  for (const w of sorted) {
    const peak = w.peak ?? Math.round((w.onset + w.offset) / 2);
    anns.push(mk(w.onset, '('), mk(peak, WAVE_SYMBOL[w.wave]), mk(w.offset, ')'));
  }
  // Stable: equal samples keep '(' peak ')' order.
  return anns.map((a, i) => ({ a, i })).sort((x, y) => x.a.sample - y.a.sample || x.i - y.i).map((x) => x.a);
}
