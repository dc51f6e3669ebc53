/** A tiny trained run for the TLC tests: a resnet1d with two small blocks, a few epochs on synthetic PTB-XL ECGs. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainRun } from '../../train/run.js';
import { tinyPtbxl, TINY_MODEL } from '../../train/testing.js';

export interface TinyRun {
  data: string;
  run: string;
}

/** 60 synthetic 3 s ECGs at 100 Hz (256 samples used), 3 folds, NORM vs MI, 3 epochs per fold. */
export async function tinyTlcRun(seed = 5): Promise<TinyRun> {
  const data = await tinyPtbxl(60, seed);
  const run = join(mkdtempSync(join(tmpdir(), 'ecgx-tlc-')), 'run');
  await trainRun(
    { data, task: 'NORM;MI', model: TINY_MODEL, epochs: 3, batchSize: 8, length: 256, cv: 3, threads: 1, seed },
    run,
    { log: () => undefined, progress: false },
  );
  return { data, run };
}
