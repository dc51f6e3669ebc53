/**
 * A shortcut trap: a spurious artefact planted in a fraction of one class's
 * ECGs only, so that a model can learn the artefact instead of the disease.
 * An explainer that is faithful to such a model should point at it.
 *
 * - 'spike': pacing-like spikes, each one sample of +A then one of -0.35 A
 *   along a fixed dipole direction (so the 12 leads stay consistent: III =
 *   II - I and so on), at `count` random times;
 * - 'offset': a constant baseline offset of A in one precordial lead (V2),
 *   the whole record long (a badly attached electrode with a DC potential).
 *
 * The artefact's own evidence mask (label 'shortcut', part 'artefact') marks
 * its samples in the leads where it reaches a quarter of its largest lead.
 */
import type { Ecg, EvidenceInterval, EvidenceMask } from '../ecg.js';
import { canonicalLead, STANDARD_LEADS } from '../leads.js';
import { OptionError } from '../../util/errors.js';
import type { Rng } from '../../util/rng.js';
import { SUPERCLASSES, type Superclass } from './criteria.js';
import { project12, unit } from './vcg.js';

export const SHORTCUT_KINDS = ['spike', 'offset'] as const;
export type ShortcutKind = (typeof SHORTCUT_KINDS)[number];

export interface ShortcutSpec {
  /** The class whose ECGs get the artefact. */
  label: Superclass;
  /** Share of that class's ECGs that get it, (0, 1]. */
  fraction: number;
  kind?: ShortcutKind;
  /** Spike height along its direction / offset, mV (default 1.5 for spikes, 0.4 for the offset). */
  amplitudeMv?: number;
  /** Spikes per ECG (default 3). */
  count?: number;
}

/** A pacemaker lead in the right ventricular apex: leftward, superior and anterior spikes. */
const SPIKE_DIRECTION = unit([0.5, -0.7, -0.5]);
const OFFSET_LEAD = 'V2';

/** Checks a spec; returns it with defaults filled in. */
export function resolveShortcut(s: ShortcutSpec, field = 'shortcut'): Required<ShortcutSpec> {
  if (!SUPERCLASSES.includes(s.label)) throw new OptionError(field, `unknown class '${s.label}' (expected ${SUPERCLASSES.join('|')})`);
  if (!(s.fraction > 0 && s.fraction <= 1)) throw new OptionError(field, `expected a fraction in (0, 1], got ${s.fraction}`);
  const kind = s.kind ?? 'spike';
  if (!SHORTCUT_KINDS.includes(kind)) throw new OptionError(field, `expected kind ${SHORTCUT_KINDS.join('|')}, got '${kind}'`);
  const count = s.count ?? 3;
  if (!(Number.isInteger(count) && count >= 1 && count <= 50)) throw new OptionError(field, `expected 1..50 spikes, got ${count}`);
  const amplitudeMv = s.amplitudeMv ?? (kind === 'spike' ? 1.5 : 0.4);
  if (!(amplitudeMv > 0 && amplitudeMv <= 10)) throw new OptionError(field, `expected an amplitude in (0, 10] mV, got ${amplitudeMv}`);
  return { label: s.label, fraction: s.fraction, kind, amplitudeMv, count };
}

/** Parses 'CLASS:FRACTION[:spike|offset]' (the CLI's --shortcut). */
export function parseShortcut(text: string, field = '--shortcut'): Required<ShortcutSpec> {
  const [label, fraction, kind] = text.split(':').map((s) => s.trim());
  if (!label || fraction === undefined) throw new OptionError(field, `expected CLASS:FRACTION[:spike|offset] (e.g. CD:0.5), got '${text}'`);
  return resolveShortcut({ label: label as Superclass, fraction: Number(fraction), ...(kind ? { kind: kind as ShortcutKind } : {}) }, field);
}

/** Adds the artefact to `ecg` in place (12 standard leads); returns its evidence mask. */
export function addShortcut(ecg: Ecg, spec: ShortcutSpec, rng: Rng): EvidenceMask {
  const s = resolveShortcut(spec);
  const n = ecg.nSamples;
  const row = (name: string): number => ecg.leads.indexOf(canonicalLead(name));
  const leads: Record<string, EvidenceInterval[]> = {};
  if (s.kind === 'offset') {
    const r = row(OFFSET_LEAD);
    if (r < 0) throw new OptionError('shortcut', `the offset artefact goes in lead ${OFFSET_LEAD}, which record ${ecg.meta.recordId} lacks`);
    for (let t = 0; t < n; t++) ecg.signal[r * n + t] += s.amplitudeMv;
    leads[OFFSET_LEAD] = [{ onset: 0, offset: n - 1, part: 'artefact' }];
    return { codes: ['offset'], leads };
  }
  const proj = project12(SPIKE_DIRECTION);
  const top = Math.max(...Array.from(proj, Math.abs));
  // Spikes in separate slots of the record, away from its ends.
  const margin = Math.round(0.2 * ecg.fs), slot = Math.floor((n - 2 * margin) / s.count);
  if (slot < 4) throw new OptionError('shortcut', `record ${ecg.meta.recordId} is too short for ${s.count} spikes`);
  for (let k = 0; k < s.count; k++) {
    const t = margin + k * slot + rng.int(slot - 2);
    STANDARD_LEADS.forEach((name, l) => {
      const r = row(name);
      if (r < 0) return;
      ecg.signal[r * n + t] += s.amplitudeMv * proj[l]!;
      ecg.signal[r * n + t + 1] -= 0.35 * s.amplitudeMv * proj[l]!;
      if (Math.abs(proj[l]!) >= 0.25 * top) (leads[name] ??= []).push({ onset: t, offset: t + 1, part: 'artefact' });
    });
  }
  return { codes: ['spike'], leads };
}
