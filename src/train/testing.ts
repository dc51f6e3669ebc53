/** Small synthetic datasets for the training tests (a few seconds of training at most). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesizeDatabase } from '../data/synth/index.js';
import { writePtbxl } from '../data/datasets/index.js';
import type { Ecg } from '../data/ecg.js';

/** A tiny synthetic PTB-XL folder (100 Hz, `durationS` s records) in a fresh temporary folder; `edit` may change each record first. */
export async function tinyPtbxl(n: number, seed: number, o: { durationS?: number; edit?: (e: Ecg) => Ecg } = {}): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), 'ecgx-train-')), 'ptbxl');
  const records = [...synthesizeDatabase({ n, seed, layout: 'ptbxl', fs: 100, durationS: o.durationS ?? 3 })].map((e) => (o.edit ? o.edit(e) : e));
  await writePtbxl(dir, records, { fs: 100 });
  return dir;
}

/** A model spec small enough for tests: 4 -> 8 -> 8 channels, kernel 5. */
export const TINY_MODEL = 'resnet1d-small:filters=4,8,8;downsample=4,2;kernel=5;dropout=0.1';
