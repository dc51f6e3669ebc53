import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataError, FormatError, IoError } from '../../util/errors.js';
import { writeDirAtomic, writeFileAtomic } from '../../util/atomic-write.js';
import { makeEcg, type Ecg, type EcgMeta, type WaveAnnotations } from '../ecg.js';
import { STANDARD_LEADS, standardLeadIndex } from '../leads.js';
import { formatCsv, readCsv, requireColumns } from './csv.js';
import { closeQuietly, F32RowBlock, h5Read, openH5Read, openH5Write, readIntegers, readRowsF32, requireDataset, type H5Dataset, type H5File } from './h5.js';
import type { EcgDataset, OpenDatasetOptions, RecordInfo } from './types.js';
import { readWaveFiles, writeWaveFiles } from './waves.js';
import { readEvidenceFile, writeEvidenceFile } from './evidence.js';

/**
 * Folder of wave ground truth beside the HDF5 parts (`waves/<exam_id>.i` ...), in
 * the same LUDB-style annotation files as the PTB-XL layout. The real CODE-15%
 * has none; ecgx's writer adds it when ECGs carry waves (synthetic databases),
 * with sample indices in the padded 4096-sample trace.
 */
export const CODE15_WAVES_DIR = 'waves';

function shiftWaves(waves: WaveAnnotations, by: number): WaveAnnotations {
  const out: WaveAnnotations = {};
  for (const [key, list] of Object.entries(waves)) {
    out[key] = list.map((w) => ({ ...w, onset: w.onset + by, offset: w.offset + by, ...(w.peak !== undefined ? { peak: w.peak + by } : {}) }));
  }
  return out;
}

/**
 * CODE-15% (Ribeiro et al., Zenodo 4916206): `exams.csv` plus
 * `exams_part{i}.hdf5`, each holding `tracings` float32 [N, 4096, 12] and
 * `exam_id` [N]. Tracings are sampled at 400 Hz; 7 s and 10 s exams are
 * zero-padded on both sides to 4096 samples; leads are DI, DII, DIII, aVR, aVL,
 * aVF, V1-V6 (ecgx's canonical order). Amplitudes are stored in mV (the
 * dataset's notes say a signal in V must be multiplied by 1000 to match), so
 * ecgx reads them as-is, without scaling, and keeps the 4096-sample padding.
 */
export const CODE15_FS = 400;
export const CODE15_SAMPLES = 4096;
/** The six abnormalities annotated in CODE-15%, as named in exams.csv. */
export const CODE15_ABNORMALITIES = ['1dAVb', 'RBBB', 'LBBB', 'SB', 'ST', 'AF'] as const;
/** Label for exams the dataset marks as normal (`normal_ecg` column). */
export const CODE15_NORMAL = 'normal_ecg';

const CSV = 'exams.csv';
const REQUIRED = ['exam_id', 'age', 'is_male', ...CODE15_ABNORMALITIES, 'patient_id', 'trace_file'] as const;
const COLUMNS = ['exam_id', 'age', 'is_male', 'nn_predicted_age', ...CODE15_ABNORMALITIES, 'patient_id', 'death', 'timey', 'normal_ecg', 'trace_file'] as const;
/** Exams read per HDF5 hyperslab while streaming: 32 x 4096 x 12 float32 = 6 MiB. */
const BLOCK_ROWS = 32;

interface Exam {
  info: RecordInfo;
  part: number;
  row: number;
}

interface Part {
  path: string;
  rows: number;
  samples: number;
}

export function isCode15Dir(dir: string): boolean {
  return existsSync(join(dir, CSV)) || readdirSafe(dir).some((f) => /^exams_part\d+\.hdf5$/.test(f));
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function parseBool(v: string, file: string, line: number, field: string): boolean | undefined {
  const s = v.trim().toLowerCase();
  if (s === 'true' || s === '1' || s === '1.0') return true;
  if (s === 'false' || s === '0' || s === '0.0') return false;
  if (s === '' || s === 'nan') return undefined;
  throw new FormatError(file, `expected True or False, got '${v}'`, { line, field });
}

function parseNumber(v: string, file: string, line: number, field: string): number | undefined {
  const s = v.trim();
  if (s === '' || s.toLowerCase() === 'nan') return undefined;
  const n = Number(s);
  if (!Number.isFinite(n)) throw new FormatError(file, `expected a number, got '${v}'`, { line, field });
  return n;
}

/** Largest exam length read, in samples (about 43 minutes at 400 Hz). */
const MAX_SAMPLES = 1 << 20;

/** Opens a CODE-15% folder: reads exams.csv and every part's exam_id, checks that each listed exam is on disk. */
export async function openCode15(dir: string, _opts: OpenDatasetOptions = {}): Promise<EcgDataset> {
  const root = resolve(dir);
  const csvPath = join(root, CSV);
  if (!existsSync(csvPath)) throw new IoError(csvPath, 'file not found (a CODE-15% folder needs exams.csv beside its exams_part*.hdf5)');
  const table = readCsv(csvPath);
  const col = requireColumns(table, REQUIRED);
  const optional = (name: string): number | undefined => {
    const k = table.header.indexOf(name);
    return k < 0 ? undefined : k;
  };
  const colNormal = optional('normal_ecg');
  const extraCols = ['nn_predicted_age', 'death', 'timey'].map((n) => [n, optional(n)] as const);

  // Parts in natural file order (part2 before part10).
  const partNames = [...new Set(table.rows.map((r) => r[col.trace_file]!.trim()))];
  table.rows.forEach((r, k) => {
    if (r[col.trace_file]!.trim() === '') throw new FormatError(csvPath, 'empty trace_file (expected the exams_part*.hdf5 holding the exam)', { line: table.lines[k]!, field: 'trace_file' });
  });
  partNames.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const partIndex = new Map(partNames.map((p, i) => [p, i]));
  const parts: Part[] = [];
  const rowOfExam: Map<number, number>[] = [];
  for (const name of partNames) {
    const path = join(root, name);
    if (!existsSync(path)) throw new IoError(path, `listed in ${csvPath} (trace_file) but missing on disk`);
    const f = await openH5Read(path);
    try {
      const tr = requireDataset(f, path, 'tracings', 'float32 [N, 4096, 12] ECG tracings');
      const shape = tr.shape ?? [];
      if (shape.length !== 3 || shape[2] !== 12) throw new FormatError(path, `dataset 'tracings' has shape [${shape.join(', ')}] (expected [N, samples, 12])`, { field: 'tracings' });
      // A damaged header can declare any size; refuse before allocating read buffers for it.
      if (!(shape[1]! >= 1 && shape[1]! <= MAX_SAMPLES)) throw new FormatError(path, `dataset 'tracings' declares ${shape[1]} samples per exam (expected 1-${MAX_SAMPLES}; CODE-15% has ${CODE15_SAMPLES})`, { field: 'tracings' });
      const examIds = requireDataset(f, path, 'exam_id', `exam ids [${shape[0]}]`);
      const ids = h5Read(path, "dataset 'exam_id'", () => readIntegers(examIds));
      if (ids.length !== shape[0]) throw new FormatError(path, `dataset 'exam_id' has ${ids.length} entries, 'tracings' has ${shape[0]} (expected equal)`, { field: 'exam_id' });
      parts.push({ path, rows: shape[0]!, samples: shape[1]! });
      rowOfExam.push(new Map(ids.map((id, row) => [id, row])));
    } finally {
      closeQuietly(f);
    }
  }

  const exams: Exam[] = [];
  const seen = new Set<string>();
  table.rows.forEach((r, k) => {
    const line = table.lines[k]!;
    const examId = parseNumber(r[col.exam_id]!, csvPath, line, 'exam_id');
    if (examId === undefined || !Number.isInteger(examId)) throw new FormatError(csvPath, `expected an integer exam_id, got '${r[col.exam_id]}'`, { line, field: 'exam_id' });
    const id = String(examId);
    if (seen.has(id)) throw new FormatError(csvPath, `duplicate exam_id ${id}`, { line, field: 'exam_id' });
    seen.add(id);
    const traceFile = r[col.trace_file]!.trim();
    const part = partIndex.get(traceFile)!;
    const row = rowOfExam[part]!.get(examId);
    if (row === undefined) throw new DataError(`${csvPath}:${line}: exam ${id} is listed in trace_file ${traceFile} but that file's exam_id has no such exam`);
    const labels = CODE15_ABNORMALITIES.filter((l) => parseBool(r[col[l]]!, csvPath, line, l) === true) as string[];
    if (colNormal !== undefined && parseBool(r[colNormal]!, csvPath, line, 'normal_ecg') === true) labels.push(CODE15_NORMAL);
    const meta: EcgMeta = { recordId: id, labels, cohort: 'code15', sourcePath: parts[part]!.path };
    const age = parseNumber(r[col.age]!, csvPath, line, 'age');
    if (age !== undefined) meta.age = age;
    const male = parseBool(r[col.is_male]!, csvPath, line, 'is_male');
    if (male !== undefined) meta.sex = male ? 'M' : 'F';
    const patient = r[col.patient_id]!.trim().replace(/\.0$/, ''); // pandas writes integer ids with missing values as floats
    if (patient !== '' && patient.toLowerCase() !== 'nan') meta.patientId = patient;
    const extra: Record<string, string | number | boolean | null> = { trace_file: traceFile };
    for (const [name, k2] of extraCols) {
      if (k2 === undefined || r[k2]!.trim() === '') continue;
      extra[name] = name === 'death' ? (parseBool(r[k2]!, csvPath, line, name) ?? null) : (parseNumber(r[k2]!, csvPath, line, name) ?? null);
    }
    meta.extra = extra;
    exams.push({ info: { id, meta }, part, row });
  });
  if (exams.length === 0) throw new DataError(`${csvPath}: no exams listed`);
  exams.sort((a, b) => a.part - b.part || a.row - b.row);
  return new Code15Dataset(root, parts, exams);
}

class Code15Dataset implements EcgDataset {
  readonly layout = 'code15' as const;
  readonly fs = CODE15_FS;
  private readonly byId: Map<string, Exam>;
  /** The one HDF5 part kept open for `load`, so that loading exams of one part does not reopen it. */
  private open: { part: number; file: H5File; tracings: H5Dataset; block: F32RowBlock | undefined } | undefined;

  private readonly wavesDir: string | undefined;

  constructor(
    readonly root: string,
    private readonly parts: Part[],
    private readonly exams: Exam[],
  ) {
    this.byId = new Map(exams.map((e) => [e.info.id, e]));
    const waves = join(root, CODE15_WAVES_DIR);
    this.wavesDir = existsSync(waves) ? waves : undefined;
  }

  records(): RecordInfo[] {
    return this.exams.map((e) => e.info);
  }

  labelSets(): Record<string, string[]> {
    return { abnormality: [...CODE15_ABNORMALITIES], normal: [CODE15_NORMAL] };
  }

  folds(): undefined {
    return undefined;
  }

  /** Releases the open HDF5 part and its wasm-heap block (a later load reopens it). */
  close(): void {
    this.open?.block?.free();
    closeQuietly(this.open?.file);
    this.open = undefined;
  }

  /** Opens part `part` (closing the previous one) and returns its row reader. */
  private async reader(part: number): Promise<(r0: number, r1: number) => Float32Array> {
    if (this.open?.part !== part) {
      this.open?.block?.free();
      closeQuietly(this.open?.file);
      this.open = undefined;
      const path = this.parts[part]!.path;
      const file = await openH5Read(path);
      try {
        const tracings = requireDataset(file, path, 'tracings', 'float32 [N, 4096, 12] ECG tracings');
        const block = await F32RowBlock.create(tracings, BLOCK_ROWS);
        this.open = { part, file, tracings, block };
      } catch (e) {
        closeQuietly(file);
        throw e;
      }
    }
    const { tracings, block } = this.open;
    const path = this.parts[part]!.path;
    const what = (r0: number, r1: number): string => `rows ${r0}-${r1 - 1} of dataset 'tracings'`;
    // The block's view lives in the wasm heap: callers copy out of it before any other HDF5 call.
    return block ? (r0, r1) => h5Read(path, what(r0, r1), () => block.read(r0, r1)) : (r0, r1) => h5Read(path, what(r0, r1), () => readRowsF32(tracings, r0, r1));
  }

  private toEcg(exam: Exam, block: Float32Array, offset: number): Ecg {
    const n = this.parts[exam.part]!.samples;
    // HDF5 rows are time-major [samples, 12]; ecgx signals are leads-major.
    const signal = new Float32Array(12 * n);
    for (let l = 0; l < 12; l++) {
      const o = l * n;
      for (let t = 0, src = offset + l; t < n; t++, src += 12) signal[o + t] = block[src]!;
    }
    const ecg = makeEcg({ signal, fs: CODE15_FS, leads: STANDARD_LEADS, meta: structuredClone(exam.info.meta) });
    const waves = this.wavesDir === undefined ? undefined : readWaveFiles(join(this.wavesDir, exam.info.id), ecg.leads);
    if (waves) ecg.waves = waves;
    const evidence = this.wavesDir === undefined ? undefined : readEvidenceFile(join(this.wavesDir, exam.info.id));
    if (evidence) ecg.evidence = evidence;
    return ecg;
  }

  async load(id: string): Promise<Ecg> {
    const exam = this.byId.get(id);
    if (!exam) throw new DataError(`no exam ${id} in ${this.root} (exams.csv)`);
    const read = await this.reader(exam.part);
    return this.toEcg(exam, read(exam.row, exam.row + 1), 0);
  }

  async *iterate(ids?: string[]): AsyncIterable<Ecg> {
    let selected = this.exams;
    if (ids) {
      const want = new Set(ids);
      for (const id of want) if (!this.byId.has(id)) throw new DataError(`no exam ${id} in ${this.root} (exams.csv)`);
      selected = this.exams.filter((e) => want.has(e.info.id));
    }
    // Runs of consecutive rows of one part, at most BLOCK_ROWS long: one hyperslab read each.
    let i = 0;
    while (i < selected.length) {
      const first = selected[i]!;
      let j = i + 1;
      while (j < selected.length && j - i < BLOCK_ROWS && selected[j]!.part === first.part && selected[j]!.row === selected[j - 1]!.row + 1) j++;
      const read = await this.reader(first.part);
      const block = read(first.row, first.row + (j - i));
      const stride = this.parts[first.part]!.samples * 12;
      // Copy the whole block out before yielding: the consumer may make HDF5 calls that move the wasm heap.
      const ecgs: Ecg[] = [];
      for (let k = i; k < j; k++) ecgs.push(this.toEcg(selected[k]!, block, (k - i) * stride));
      yield* ecgs;
      i = j;
    }
  }
}

export interface WriteCode15Options {
  /** Exams per exams_part{i}.hdf5 file (CODE-15% uses about 20000). */
  examsPerPart?: number;
  /** Replace an existing `dir` that ecgx wrote (see util/atomic-write OutputPolicy). */
  force?: boolean;
}

/** Rows buffered before one HDF5 write: bounds memory while writing. */
const WRITE_BLOCK = 64;

/**
 * Writes ECGs in the CODE-15% layout: exams.csv and exams_part{i}.hdf5 with
 * chunked, extendible `tracings` float32 [N, 4096, 12] (one exam per chunk) and
 * `exam_id` int64 [N], streaming with bounded memory. Each ECG must be 400 Hz
 * with the 12 standard leads and at most 4096 samples; shorter ones are
 * zero-padded on both sides as in CODE-15%. exam_id is `meta.recordId` when it
 * is a positive integer, else the exam's 1-based position in the stream.
 * Labels: `meta.labels` entries among 1dAVb, RBBB, LBBB, SB, ST, AF and
 * normal_ecg become True in their columns. `ecg.waves` (if any) go to
 * `waves/<exam_id>.*` annotation files, shifted by the padding, and are read
 * back into `ecg.waves`. The folder is built under a
 * temporary name and renamed into place when complete.
 */
export async function writeCode15(dir: string, records: Iterable<Ecg> | AsyncIterable<Ecg>, opts: WriteCode15Options = {}): Promise<{ n: number }> {
  const perPart = opts.examsPerPart ?? 20000;
  if (!Number.isInteger(perPart) || perPart < 1) throw new RangeError(`writeCode15: examsPerPart must be a positive integer, got ${perPart}`);
  return writeDirAtomic(dir, async (tmp) => {
    const rows: (string | number | boolean | undefined)[][] = [[...COLUMNS]];
    const ids = new Set<number>();
    let n = 0;
    let file: H5File | undefined;
    let tracings: H5Dataset | undefined;
    let examIds: H5Dataset | undefined;
    let partName = '';
    let inPart = 0;
    // Exams are transposed straight into a block in the wasm heap and written WRITE_BLOCK at a time.
    let block: F32RowBlock | undefined;
    let bufIds: bigint[] = [];
    const flush = (): void => {
      if (bufIds.length === 0) return;
      const r0 = inPart - bufIds.length;
      tracings!.resize([inPart, CODE15_SAMPLES, 12]);
      block!.write(r0, inPart);
      examIds!.resize([inPart]);
      examIds!.write_slice([[r0, inPart]], BigInt64Array.from(bufIds));
      bufIds = [];
    };
    const closePart = (): void => {
      flush();
      block?.free();
      block = undefined;
      file?.close();
      file = undefined;
    };
    try {
      for await (const ecg of records as AsyncIterable<Ecg>) {
        n++;
        const examId = /^[1-9]\d*$/.test(ecg.meta.recordId) && Number(ecg.meta.recordId) <= Number.MAX_SAFE_INTEGER ? Number(ecg.meta.recordId) : n;
        if (ids.has(examId)) throw new DataError(`writeCode15: duplicate exam_id ${examId} (record ${ecg.meta.recordId}); give records unique integer ids or none`);
        ids.add(examId);
        if (ecg.fs !== CODE15_FS) throw new DataError(`writeCode15: record ${ecg.meta.recordId} is sampled at ${ecg.fs} Hz; CODE-15% stores ${CODE15_FS} Hz (resample first)`);
        if (ecg.nSamples > CODE15_SAMPLES) throw new DataError(`writeCode15: record ${ecg.meta.recordId} has ${ecg.nSamples} samples; CODE-15% holds at most ${CODE15_SAMPLES} (crop first)`);
        const idx = standardLeadIndex(ecg.leads);
        const missing = STANDARD_LEADS.filter((_, k) => idx[k]! < 0);
        if (missing.length > 0) throw new DataError(`writeCode15: record ${ecg.meta.recordId} lacks lead(s) ${missing.join(', ')}; CODE-15% stores the 12 standard leads`);
        if (file === undefined || inPart === perPart) {
          closePart();
          partName = `exams_part${Math.floor((n - 1) / perPart)}.hdf5`;
          file = await openH5Write(join(tmp, partName));
          tracings = file.create_dataset({ name: 'tracings', data: new Float32Array(0), shape: [0, CODE15_SAMPLES, 12], maxshape: [null, CODE15_SAMPLES, 12], chunks: [1, CODE15_SAMPLES, 12] });
          examIds = file.create_dataset({ name: 'exam_id', data: new BigInt64Array(0), shape: [0], maxshape: [null], chunks: [4096] });
          block = await F32RowBlock.create(tracings, WRITE_BLOCK);
          if (!block) throw new Error('writeCode15: float32 tracings expected');
          inPart = 0;
        }
        // Time-major rows, centred with zero padding on both sides.
        const pad = Math.floor((CODE15_SAMPLES - ecg.nSamples) / 2);
        const buf = block!.rows(WRITE_BLOCK); // a fresh view: earlier HDF5 calls may have moved the heap
        const row = bufIds.length * CODE15_SAMPLES * 12;
        if (ecg.nSamples < CODE15_SAMPLES) buf.fill(0, row, row + CODE15_SAMPLES * 12);
        const base = row + pad * 12;
        for (let l = 0; l < 12; l++) {
          const src = ecg.signal.subarray(idx[l]! * ecg.nSamples, (idx[l]! + 1) * ecg.nSamples);
          for (let t = 0, o = base + l; t < src.length; t++, o += 12) {
            const v = src[t]!;
            buf[o] = v === v ? v : 0; // NaN (missing) -> 0, as CODE-15% has no missing-value marker
          }
        }
        if (ecg.waves || ecg.evidence) mkdirSync(join(tmp, CODE15_WAVES_DIR), { recursive: true });
        if (ecg.waves) writeWaveFiles(join(tmp, CODE15_WAVES_DIR, String(examId)), shiftWaves(ecg.waves, pad));
        if (ecg.evidence) writeEvidenceFile(join(tmp, CODE15_WAVES_DIR, String(examId)), ecg.evidence, { fs: ecg.fs, nSamples: ecg.nSamples, shift: pad });
        bufIds.push(BigInt(examId));
        inPart++;
        if (bufIds.length === WRITE_BLOCK) flush();
        const labels = new Set(ecg.meta.labels ?? []);
        const m = ecg.meta;
        const bool = (b: boolean | undefined): string | undefined => (b === undefined ? undefined : b ? 'True' : 'False');
        rows.push([
          examId,
          m.age,
          bool(m.sex === undefined ? undefined : m.sex === 'M'),
          typeof m.extra?.['nn_predicted_age'] === 'number' ? m.extra['nn_predicted_age'] : undefined,
          ...CODE15_ABNORMALITIES.map((l) => bool(labels.has(l))),
          m.patientId ?? examId,
          typeof m.extra?.['death'] === 'boolean' ? bool(m.extra['death']) : undefined,
          typeof m.extra?.['timey'] === 'number' ? m.extra['timey'] : undefined,
          bool(labels.has(CODE15_NORMAL)),
          partName,
        ]);
      }
      closePart();
    } catch (e) {
      try {
        block?.free();
        file?.close();
      } catch {
        // the original error matters more than a failed close
      }
      throw e;
    }
    if (n === 0) throw new DataError('writeCode15: no records to write');
    writeFileAtomic(join(tmp, CSV), formatCsv(rows));
    return { n };
  }, { force: opts.force === true });
}
