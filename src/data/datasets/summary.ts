import type { DatasetLayout, EcgDataset, LabelInfo, LabelJoinReport } from './types.js';

/** Counts over a dataset's metadata (no signal is read). */
export interface DatasetSummary {
  layout: DatasetLayout;
  root: string;
  /** Sampling rate of loaded records, Hz. */
  fs: number;
  records: number;
  /** Distinct patient ids, or null when the dataset gives none. */
  patients: number | null;
  sex: { M: number; F: number; unknown: number };
  /** Age in years over the records that have one; null when none do. */
  age: { n: number; min: number; max: number; mean: number } | null;
  /** Records per label, for each label set of the dataset, in the set's order. */
  labelSets: Record<string, Record<string, number>>;
  /** Records per label over every label seen, most frequent first. */
  labels: Record<string, number>;
  /** Records per fold, or null when the dataset defines no folds. */
  folds: Record<string, number> | null;
  /** What label names stand for (code, description), or null when the dataset does not say. */
  labelInfo: Record<string, LabelInfo> | null;
  /** How a label table was joined, or null when none was. */
  join: LabelJoinReport | null;
  /** What a user should know before training on it (folds, patients). */
  notes: string[];
}

/** Why folds made by ecgx may not separate patients. */
export const NO_PATIENTS_NOTE = 'no patient ids: folds made by ecgx treat each record as its own patient, so one patient\'s ECGs may fall in two folds';

export function summarizeDataset(ds: EcgDataset): DatasetSummary {
  const recs = ds.records();
  const labelCounts = new Map<string, number>();
  const sex = { M: 0, F: 0, unknown: 0 };
  const patients = new Set<string>();
  let ageN = 0;
  let ageSum = 0;
  let ageMin = Infinity;
  let ageMax = -Infinity;
  for (const r of recs) {
    for (const l of new Set(r.meta.labels ?? [])) labelCounts.set(l, (labelCounts.get(l) ?? 0) + 1);
    if (r.meta.sex === 'M' || r.meta.sex === 'F') sex[r.meta.sex]++;
    else sex.unknown++;
    if (r.meta.patientId !== undefined) patients.add(r.meta.patientId);
    const a = r.meta.age;
    if (a !== undefined && Number.isFinite(a)) {
      ageN++;
      ageSum += a;
      ageMin = Math.min(ageMin, a);
      ageMax = Math.max(ageMax, a);
    }
  }
  const labelSets: Record<string, Record<string, number>> = {};
  for (const [name, set] of Object.entries(ds.labelSets())) labelSets[name] = Object.fromEntries(set.map((l) => [l, labelCounts.get(l) ?? 0]));
  const foldIds = ds.folds();
  let folds: Record<string, number> | null = null;
  if (foldIds) {
    folds = Object.fromEntries(foldIds.map((f) => [String(f), 0]));
    for (const r of recs) if (r.fold !== undefined) folds[String(r.fold)] = (folds[String(r.fold)] ?? 0) + 1;
  }
  return {
    layout: ds.layout,
    root: ds.root,
    fs: ds.fs,
    records: recs.length,
    patients: patients.size > 0 ? patients.size : null,
    sex,
    age: ageN > 0 ? { n: ageN, min: ageMin, max: ageMax, mean: Math.round((ageSum / ageN) * 100) / 100 } : null,
    labelSets,
    labels: Object.fromEntries([...labelCounts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
    folds,
    labelInfo: ds.labelInfo?.() ?? null,
    join: ds.labelJoin ?? null,
    notes: folds === null ? ['no folds defined: ecgx makes seeded stratified folds', ...(patients.size === 0 ? [NO_PATIENTS_NOTE] : [])] : [],
  };
}
