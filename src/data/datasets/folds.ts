import { Rng } from '../../util/rng.js';
import { DataError, OptionError } from '../../util/errors.js';
import type { RecordInfo } from './types.js';

export interface StratifiedFoldOptions {
  /** Keep every record of one patient (meta.patientId) in the same fold, as PTB-XL's strat_fold does. Default true. */
  groupByPatient?: boolean;
}

/**
 * Assigns each record to one of `k` folds (numbered 1..k, like PTB-XL's
 * strat_fold) so that every label is spread over the folds in proportion, by
 * iterative stratification for multi-label data (Sechidis, Tsoumakas &
 * Vlahavas 2011): the rarest remaining label is placed first, each unit going
 * to the fold that still wants that label most. Records of one patient form one
 * unit. Ties are broken by a seeded Rng, so the result depends only on
 * (records, k, seed, labels).
 *
 * @param labels labels to stratify on; default every label in `meta.labels`.
 * @returns fold of each record, aligned with `records`.
 */
export function stratifiedFolds(records: readonly RecordInfo[], k: number, seed: number, labels?: readonly string[], opts: StratifiedFoldOptions = {}): number[] {
  if (!Number.isInteger(k) || k < 2) throw new OptionError('k', `expected an integer >= 2 folds, got ${k}`);
  const groupByPatient = opts.groupByPatient ?? true;
  const labelNames = labels ? [...labels] : [...new Set(records.flatMap((r) => r.meta.labels ?? []))].sort();
  const labelIndex = new Map(labelNames.map((l, i) => [l, i]));

  // Units: one per patient (or per record), with per-label record counts.
  const unitOf = new Map<string, number>();
  const units: { members: number[]; counts: Map<number, number> }[] = [];
  records.forEach((r, i) => {
    const key = groupByPatient && r.meta.patientId !== undefined ? `p:${r.meta.patientId}` : `r:${i}`;
    let u = unitOf.get(key);
    if (u === undefined) {
      u = units.length;
      unitOf.set(key, u);
      units.push({ members: [], counts: new Map() });
    }
    units[u]!.members.push(i);
    for (const l of new Set(r.meta.labels ?? [])) {
      const li = labelIndex.get(l);
      if (li !== undefined) units[u]!.counts.set(li, (units[u]!.counts.get(li) ?? 0) + 1);
    }
  });
  if (units.length < k) throw new DataError(`cannot make ${k} folds from ${units.length} ${groupByPatient ? 'patients' : 'records'} (need at least one per fold)`);

  const rng = new Rng(seed);
  const nLabels = labelNames.length;
  // Desired number of records per fold, overall and per label.
  const wantTotal = new Array<number>(k).fill(records.length / k);
  const labelTotals = new Array<number>(nLabels).fill(0);
  for (const u of units) for (const [li, c] of u.counts) labelTotals[li]! += c;
  const want = Array.from({ length: k }, () => labelTotals.map((t) => t / k));
  const foldOfUnit = new Array<number>(units.length).fill(-1);
  const remaining = [...labelTotals];
  const unitsWithLabel: number[][] = Array.from({ length: nLabels }, () => []);
  units.forEach((u, ui) => {
    for (const li of u.counts.keys()) unitsWithLabel[li]!.push(ui);
  });

  const assign = (ui: number, f: number): void => {
    foldOfUnit[ui] = f;
    const u = units[ui]!;
    wantTotal[f]! -= u.members.length;
    for (const [li, c] of u.counts) {
      want[f]![li]! -= c;
      remaining[li]! -= c;
    }
  };
  const bestFold = (score: (f: number) => number[]): number => {
    let best: number[] = [];
    let bestScore: number[] | undefined;
    for (let f = 0; f < k; f++) {
      const s = score(f);
      const cmp = bestScore === undefined ? 1 : compareLex(s, bestScore);
      if (cmp > 0) {
        best = [f];
        bestScore = s;
      } else if (cmp === 0) best.push(f);
    }
    return best.length === 1 ? best[0]! : best[rng.int(best.length)]!;
  };

  for (;;) {
    // The label with the fewest records still to place (ties: lowest index after a seeded shuffle of equals).
    let pick = -1;
    for (let li = 0; li < nLabels; li++) {
      if (remaining[li]! <= 0) continue;
      if (pick < 0 || remaining[li]! < remaining[pick]!) pick = li;
    }
    if (pick < 0) break;
    const todo = rng.shuffle(unitsWithLabel[pick]!.filter((ui) => foldOfUnit[ui] === -1));
    for (const ui of todo) {
      assign(ui, bestFold((f) => [want[f]![pick]!, wantTotal[f]!]));
    }
  }
  // Units with none of the labels: fill the folds that want the most records.
  const rest = rng.shuffle(units.map((_, ui) => ui).filter((ui) => foldOfUnit[ui] === -1));
  for (const ui of rest) assign(ui, bestFold((f) => [wantTotal[f]!]));

  const out = new Array<number>(records.length);
  units.forEach((u, ui) => {
    for (const i of u.members) out[i] = foldOfUnit[ui]! + 1;
  });
  return out;
}

function compareLex(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    if (Math.abs(d) > 1e-9) return d;
  }
  return 0;
}
