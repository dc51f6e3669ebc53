import type { WaveInterval, WaveKind } from '../data/ecg.js';

/**
 * Multi-lead fusion of per-lead waves into one set (the `'*'` key). The same
 * rule fuses ecgx's per-lead detections and, in the evaluation, the
 * cardiologists' per-lead annotations, so the two are compared like for like.
 *
 * Rule: waves of one kind from all leads are grouped into beats (a wave joins
 * the group whose first member it overlaps; at most one wave per lead and
 * group). A group becomes a fused wave when at least `minFraction` of the
 * leads have it. Its onset is the lower quartile of the leads' onsets, its
 * offset the upper quartile of their offsets (a robust "earliest onset /
 * latest offset": one stray lead cannot move it), its peak the median peak.
 */
/** Fraction of the leads that must show a wave for it to be fused: QRS a quarter, P and T half. */
export const FUSION_MIN_FRACTION: Readonly<Record<WaveKind, number>> = { QRS: 0.25, P: 0.5, T: 0.5 };

export interface FuseOptions {
  /** Leads that could have had the wave (the denominator of minFraction). */
  nLeads: number;
  /** Fraction of nLeads that must show a wave for it to be fused; default 0.5 (QRS: any 1/nLeads is enough when given). */
  minFraction?: number;
  /** Quantile for the fused onset (offset uses 1 - q). Default 0.25. */
  boundaryQuantile?: number;
}

export function fuseWaves(perLead: readonly (readonly WaveInterval[])[], kind: WaveKind, opts: FuseOptions): WaveInterval[] {
  const items: { w: WaveInterval; lead: number }[] = [];
  perLead.forEach((ws, lead) => {
    for (const w of ws) if (w.wave === kind) items.push({ w, lead });
  });
  items.sort((a, b) => a.w.onset + a.w.offset - (b.w.onset + b.w.offset));
  const groups: { first: WaveInterval; members: Map<number, WaveInterval> }[] = [];
  for (const it of items) {
    let g = groups.length > 0 ? groups[groups.length - 1]! : undefined;
    // Look back a couple of groups: sorting by midpoint can interleave neighbours.
    let joined = false;
    for (let j = groups.length - 1; j >= Math.max(0, groups.length - 3); j--) {
      g = groups[j]!;
      if (it.w.onset <= g.first.offset && it.w.offset >= g.first.onset) {
        const prev = g.members.get(it.lead);
        if (!prev || Math.abs(mid(it.w) - mid(g.first)) < Math.abs(mid(prev) - mid(g.first))) g.members.set(it.lead, it.w);
        joined = true;
        break;
      }
    }
    if (!joined) groups.push({ first: it.w, members: new Map([[it.lead, it.w]]) });
  }
  const out: WaveInterval[] = [];
  for (const g of groups) {
    const fused = fuseBeat([...g.members.values()], kind, opts);
    if (fused) out.push(fused);
  }
  out.sort((a, b) => a.onset - b.onset);
  return out;
}

/** Fuses one beat's wave over leads (one interval per lead that shows it), or null when too few leads show it. */
export function fuseBeat(ms: readonly WaveInterval[], kind: WaveKind, opts: FuseOptions): WaveInterval | null {
  const need = Math.max(1, Math.ceil((opts.minFraction ?? 0.5) * opts.nLeads - 1e-9));
  if (ms.length < need) return null;
  const q = opts.boundaryQuantile ?? 0.25;
  const onset = Math.round(quantile(ms.map((w) => w.onset), q));
  const offset = Math.round(quantile(ms.map((w) => w.offset), 1 - q));
  const peaks = ms.filter((w) => w.peak !== undefined).map((w) => w.peak!);
  const fused: WaveInterval = { wave: kind, onset, offset };
  if (peaks.length > 0) fused.peak = Math.min(offset, Math.max(onset, Math.round(quantile(peaks, 0.5))));
  return fused;
}

function mid(w: WaveInterval): number {
  return (w.onset + w.offset) / 2;
}

/** Linear-interpolated quantile (numpy's default) of a non-empty list. */
export function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}
