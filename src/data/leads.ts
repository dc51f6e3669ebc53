/** The 12 standard leads in ecgx's canonical order. */
export const STANDARD_LEADS = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'] as const;
export type StandardLead = (typeof STANDARD_LEADS)[number];

// Spellings seen in PhysioNet databases, Holter exports and the CODE/Brazilian
// literature (DI/DII/DIII), keyed by a normalised form (lower case, no spaces,
// dashes or underscores).
const ALIASES: Record<string, StandardLead> = {
  i: 'I', di: 'I', leadi: 'I', mli: 'I',
  ii: 'II', dii: 'II', leadii: 'II', mlii: 'II',
  iii: 'III', diii: 'III', leadiii: 'III', mliii: 'III',
  avr: 'aVR', avl: 'aVL', avf: 'aVF',
  v1: 'V1', v2: 'V2', v3: 'V3', v4: 'V4', v5: 'V5', v6: 'V6',
  mlv1: 'V1', mlv2: 'V2', mlv3: 'V3', mlv4: 'V4', mlv5: 'V5', mlv6: 'V6',
};

/**
 * Maps a lead name to its canonical spelling (`avr` -> `aVR`, `DI` -> `I`,
 * `MLII` -> `II`). Names that are not standard leads (e.g. `ABP`, `V4R`) are
 * returned unchanged, trimmed.
 */
export function canonicalLead(name: string): string {
  const key = name.trim().toLowerCase().replace(/[\s_\-]/g, '');
  return ALIASES[key] ?? name.trim();
}

/** Index of each standard lead in `names` (canonicalised), or -1 where absent. */
export function standardLeadIndex(names: readonly string[]): number[] {
  const canon = names.map(canonicalLead);
  return STANDARD_LEADS.map((l) => canon.indexOf(l));
}
