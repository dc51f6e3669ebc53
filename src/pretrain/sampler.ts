/**
 * Which records go together in a pretraining batch, and what each record is
 * contrasted with.
 *
 * - `mixed`: one shuffle over all records, cut into batches (cohorts mix).
 * - `idb` (CAPE's In-Distribution Batch): each cohort shuffled and cut into
 *   batches on its own, then the batches shuffled, so every batch holds one
 *   cohort and the negatives of a pair never differ from it by cohort alone.
 *
 * Positives: a record's partner is another ECG of the same patient when the
 * patient has one (PTB-XL / CODE-15% patient ids), else the record itself
 * (two augmented views). Patients are keyed per cohort, so equal ids in two
 * databases are different people.
 */
import { OptionError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';

export type BatchMode = 'mixed' | 'idb';

/** What the sampler needs to know of a record. */
export interface SampleInfo {
  cohort: string;
  /** Patient key; undefined when the dataset has none (then views of one ECG are the positives). */
  patient?: string;
}

export interface EpochBatchOptions {
  batchSize: number;
  mode: BatchMode;
  /** Drop batches smaller than 2 (a contrastive batch needs a negative); default true. */
  dropSingletons?: boolean;
}

/** One epoch's batches, as indices into `items`; every index appears exactly once (bar dropped singletons). */
export function epochBatches(items: readonly SampleInfo[], o: EpochBatchOptions, rng: Rng): number[][] {
  if (!Number.isInteger(o.batchSize) || o.batchSize < 2) throw new OptionError('batchSize', `expected an integer >= 2 (contrastive batches need negatives), got ${o.batchSize}`);
  const groups = new Map<string, number[]>();
  if (o.mode === 'mixed') groups.set('*', items.map((_, i) => i));
  else if (o.mode === 'idb') items.forEach((it, i) => (groups.get(it.cohort) ?? groups.set(it.cohort, []).get(it.cohort)!).push(i));
  else throw new OptionError('batches', `expected mixed|idb, got '${String(o.mode)}'`);
  const out: number[][] = [];
  // Cohorts in sorted order so the result does not depend on the order records were listed in.
  for (const key of [...groups.keys()].sort()) {
    const idx = rng.shuffle(groups.get(key)!.slice());
    for (let s = 0; s < idx.length; s += o.batchSize) {
      const b = idx.slice(s, s + o.batchSize);
      if (b.length < 2 && (o.dropSingletons ?? true)) continue;
      out.push(b);
    }
  }
  return rng.shuffle(out);
}

/** Records of each patient (keyed `cohort/patient`), for drawing partners. */
export class PatientIndex {
  private readonly byPatient = new Map<string, number[]>();
  constructor(private readonly items: readonly SampleInfo[]) {
    items.forEach((it, i) => {
      const k = patientKey(it);
      if (k !== undefined) (this.byPatient.get(k) ?? this.byPatient.set(k, []).get(k)!).push(i);
    });
  }

  /** Patients with at least two ECGs. */
  get multiVisitPatients(): number {
    return [...this.byPatient.values()].filter((v) => v.length > 1).length;
  }

  /** A different record of the same patient, or `i` itself when there is none. */
  partner(i: number, rng: Rng): number {
    const k = patientKey(this.items[i]!);
    const same = k === undefined ? undefined : this.byPatient.get(k);
    if (!same || same.length < 2) return i;
    let j = same[rng.int(same.length - 1)]!;
    if (j === i) j = same[same.length - 1]!; // uniform over the others
    return j;
  }
}

export function patientKey(it: SampleInfo): string | undefined {
  return it.patient === undefined ? undefined : `${it.cohort}/${it.patient}`;
}

/**
 * The positive-pair weights of a batch laid out as [anchors..., partners...]
 * (2B rows): row r weighs column c > 0 when r and c are the same patient (or
 * the two views of one record), never itself; each row sums to 1, so the
 * loss averages over a row's positives (SupCon's L_out when a patient occurs
 * more than once in the batch). `ids[r]` is the identity of row r: a patient
 * key, or a record key for records without a patient.
 */
export function positiveWeights(ids: readonly string[]): Float32Array {
  const n = ids.length;
  const w = new Float32Array(n * n);
  for (let r = 0; r < n; r++) {
    let count = 0;
    for (let c = 0; c < n; c++) if (c !== r && ids[c] === ids[r]) count++;
    if (count === 0) throw new RangeError(`positiveWeights: row ${r} ('${ids[r]}') has no positive`);
    for (let c = 0; c < n; c++) if (c !== r && ids[c] === ids[r]) w[r * n + c] = 1 / count;
  }
  return w;
}
