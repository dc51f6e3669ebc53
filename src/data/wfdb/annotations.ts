import { readFileSync } from 'node:fs';
import type { WaveInterval, WaveKind } from '../ecg.js';
import { FormatError, IoError } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { ioReason, recordBase } from './header.js';

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

/** Decodes the bytes of an MIT-format annotation file; `file` names it in errors. */
export function decodeAnnotations(bytes: Uint8Array, file: string): Annotation[] {
  const anns: Annotation[] = [];
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
  const last = (code: number): Annotation => {
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
        anns.push({ sample: time, symbol: ANNOTATION_SYMBOLS[code]!, subtype: 0, chan, num, aux: '' });
    }
  }
  if (!ended) throw new FormatError(file, `truncated: ${n} bytes end without the end-of-file word 0x0000 (expected a complete annotation file)`);
  return anns;
}

/**
 * Encodes annotations in MIT format. They are written in time order (stable by
 * sample); pseudo-annotations are emitted only where a field differs from
 * what the reader would infer.
 */
export function encodeAnnotations(anns: readonly Annotation[]): Uint8Array {
  const sorted = anns.map((a, i) => ({ a, i })).sort((x, y) => x.a.sample - y.a.sample || x.i - y.i).map((x) => x.a);
  const out: number[] = [];
  const put = (w: number): void => {
    out.push(w & 0xff, (w >> 8) & 0xff);
  };
  let time = 0;
  let chan = 0;
  let num = 0;
  for (const a of sorted) {
    const code = annotationCode(a.symbol);
    if (code === undefined || code === 0) throw new RangeError(`encodeAnnotations: symbol '${a.symbol}' has no annotation code (expected one of ${ANNOTATION_SYMBOLS.slice(1, 42).join(' ')})`);
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
    if (a.aux !== '') {
      const text = Buffer.from(a.aux, 'utf8');
      if (text.length > 255) throw new RangeError(`encodeAnnotations: aux text of ${text.length} bytes exceeds 255`);
      put((AUX << 10) | text.length);
      for (const b of text) out.push(b);
      if (text.length & 1) out.push(0);
    }
  }
  put(0);
  return Uint8Array.from(out);
}

/** Path of a record's annotation file: 'dir/name' + 'atr' -> 'dir/name.atr'. */
export function annotationPath(recordPath: string, extension: string): string {
  return `${recordBase(recordPath)}.${extension}`;
}

/** Reads annotation file `<record>.<extension>` (e.g. readAnnotations('ludb/1', 'ii')). */
export function readAnnotations(recordPath: string, extension: string): Annotation[] {
  const file = annotationPath(recordPath, extension);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new IoError(file, ioReason(e, 'a WFDB annotation file'));
  }
  return decodeAnnotations(bytes, file);
}

/** Writes annotation file `<record>.<extension>` atomically. */
export function writeAnnotations(recordPath: string, extension: string, anns: Annotation[]): void {
  writeFileAtomic(annotationPath(recordPath, extension), encodeAnnotations(anns));
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
