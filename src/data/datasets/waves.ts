import { existsSync } from 'node:fs';
import type { WaveAnnotations } from '../ecg.js';
import { annotationPath, annotationsToWaves, readAnnotations, wavesToAnnotations, writeAnnotations } from '../wfdb/index.js';

/**
 * Wave ground truth beside a WFDB record, in LUDB's convention: one annotation
 * file per lead, named by the lead in lower case (`1.i`, `1.avr`, `1.v6`),
 * holding `(` peak `)` triplets (p = P, N = QRS, t = T). Waves that hold for
 * all leads together (key `'*'`) go to the extension `waves`.
 */
export const ALL_LEADS_WAVE_EXTENSION = 'waves';

function extensionOf(key: string): string {
  return key === '*' ? ALL_LEADS_WAVE_EXTENSION : key.toLowerCase();
}

/** Reads whichever per-lead (and all-leads) wave files exist for a record; undefined when none do. */
export function readWaveFiles(recordBase: string, leads: readonly string[]): WaveAnnotations | undefined {
  const waves: WaveAnnotations = {};
  let any = false;
  for (const key of [...leads, '*']) {
    const ext = extensionOf(key);
    if (!existsSync(annotationPath(recordBase, ext))) continue;
    waves[key] = annotationsToWaves(readAnnotations(recordBase, ext));
    any = true;
  }
  return any ? waves : undefined;
}

/** Writes every key of `waves` as its annotation file beside the record. */
export function writeWaveFiles(recordBase: string, waves: WaveAnnotations): void {
  for (const [key, list] of Object.entries(waves)) writeAnnotations(recordBase, extensionOf(key), wavesToAnnotations(list));
}
