/**
 * Evidence masks as arrays: a label's planted evidence (intervals per lead,
 * see EvidenceMask in ecg.ts) as a dense [leads, time] 0/1 mask, moved through
 * a resampling or a crop, and its share of the ECG's time.
 */
import type { EvidenceMask, EvidenceMasks } from './ecg.js';
import { canonicalLead } from './leads.js';

/** The mask as 0/1 per sample, leads-major [leads.length, nSamples]; leads the mask does not name stay 0. */
export function evidenceDense(mask: EvidenceMask, leads: readonly string[], nSamples: number): Uint8Array {
  const out = new Uint8Array(leads.length * nSamples);
  leads.forEach((name, l) => {
    for (const iv of mask.leads[canonicalLead(name)] ?? []) {
      const lo = Math.max(0, Math.round(iv.onset)), hi = Math.min(nSamples - 1, Math.round(iv.offset));
      for (let t = lo; t <= hi; t++) out[l * nSamples + t] = 1;
    }
  });
  return out;
}

/** Fraction of the [leads, time] samples inside the mask: what a uniform attribution puts there. */
export function evidenceTimeShare(dense: Uint8Array): number {
  let k = 0;
  for (const v of dense) k += v;
  return dense.length ? k / dense.length : 0;
}

/**
 * Moves every interval through `map` (old sample -> new sample, rounded) and
 * keeps what still overlaps [0, nSamples), clamped (as mapWaves does for waves).
 */
export function mapEvidence(masks: EvidenceMasks, map: (sample: number) => number, nSamples: number): EvidenceMasks {
  const out: EvidenceMasks = {};
  for (const [label, m] of Object.entries(masks)) {
    const leads: EvidenceMask['leads'] = {};
    for (const [lead, list] of Object.entries(m.leads)) {
      leads[lead] = list.flatMap((iv) => {
        const on = Math.round(map(iv.onset)), off = Math.round(map(iv.offset));
        return off < 0 || on > nSamples - 1 ? [] : [{ onset: Math.max(0, on), offset: Math.min(nSamples - 1, off), part: iv.part }];
      });
    }
    out[label] = { codes: [...m.codes], leads };
  }
  return out;
}

/** True when the mask marks at least one sample. */
export function evidenceIsEmpty(mask: EvidenceMask | undefined): boolean {
  return !mask || Object.values(mask.leads).every((l) => l.length === 0);
}
