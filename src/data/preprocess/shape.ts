/** Fixed-length windows and lead selection, for models that need a fixed [leads, time] shape. */
import type { Ecg } from '../ecg.js';
import { canonicalLead } from '../leads.js';
import { OptionError } from '../../util/errors.js';
import type { Rng } from '../../util/rng.js';
import { deriveEcg, mapWaves } from './derive.js';

export type CropMode = 'start' | 'center' | 'random';

/**
 * Makes every lead exactly `nSamples` long. A longer record is cropped to a
 * window starting at 0 ('start'), in the middle ('center', extra sample at
 * the end) or at a uniformly random offset ('random', needs `rng`). A shorter
 * record is padded with zeros, the signal placed at the start, in the middle,
 * or at a random offset. Waves move with the signal; a wave cut by the window
 * is clipped to it, one outside it is dropped.
 */
export function cropOrPad(ecg: Ecg, nSamples: number, opts: { mode: CropMode; rng?: Rng }): Ecg {
  if (!Number.isInteger(nSamples) || nSamples < 1) throw new OptionError('nSamples', `expected an integer number of samples >= 1, got ${nSamples}`);
  const mode = opts.mode;
  if (mode !== 'start' && mode !== 'center' && mode !== 'random') throw new OptionError('mode', `expected 'start', 'center' or 'random', got ${String(mode)}`);
  if (mode === 'random' && !opts.rng) throw new OptionError('rng', "mode 'random' needs a seeded Rng");
  const n = ecg.nSamples;
  const slack = Math.abs(n - nSamples);
  const offset = mode === 'start' ? 0 : mode === 'center' ? Math.floor(slack / 2) : opts.rng!.int(slack + 1);
  // Output sample i shows input sample i + shift.
  const shift = n >= nSamples ? offset : -offset;
  const signal = new Float32Array(ecg.leads.length * nSamples);
  const from = Math.max(0, shift), to = Math.min(n, shift + nSamples);
  for (let l = 0; l < ecg.leads.length; l++) {
    signal.set(ecg.signal.subarray(l * n + from, l * n + to), l * nSamples + (from - shift));
  }
  return deriveEcg(ecg, { signal, waves: ecg.waves && mapWaves(ecg.waves, (s) => s - shift, nSamples) });
}

/**
 * Selects and orders leads by name (any spelling canonicalLead knows: `avr`,
 * `DII`, ...). A lead the record lacks is an OptionError naming it, or with
 * `missing: 'zero'` a lead of zeros. Per-lead waves follow their lead.
 */
export function selectLeads(ecg: Ecg, leads: readonly string[], opts: { missing?: 'error' | 'zero' } = {}): Ecg {
  const missing = opts.missing ?? 'error';
  if (missing !== 'error' && missing !== 'zero') throw new OptionError('missing', `expected 'error' or 'zero', got ${String(missing)}`);
  if (leads.length === 0) throw new OptionError('leads', 'expected at least one lead name');
  const want = leads.map(canonicalLead);
  const dup = want.find((l, i) => want.indexOf(l) !== i);
  if (dup !== undefined) throw new OptionError('leads', `lead ${dup} is asked for twice`);
  const n = ecg.nSamples;
  const signal = new Float32Array(want.length * n);
  want.forEach((name, k) => {
    const i = ecg.leads.indexOf(name);
    if (i >= 0) signal.set(ecg.signal.subarray(i * n, (i + 1) * n), k * n);
    else if (missing === 'error') throw new OptionError('leads', `record ${ecg.meta.recordId} has no lead ${name}; it has [${ecg.leads.join(', ')}]`);
  });
  let waves = ecg.waves;
  if (waves) {
    const kept = Object.entries(mapWaves(waves, (s) => s, n)).filter(([key]) => key === '*' || want.includes(key));
    waves = Object.fromEntries(kept);
  }
  return deriveEcg(ecg, { signal, leads: want, waves });
}
