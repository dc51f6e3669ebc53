#!/usr/bin/env node
// Synthetic training data for scripts/torch/train_benchmark_model.py: N ECGs of the
// ecgx generator (PTB-XL cohort, 12 x 1000 at 100 Hz, in mV) and their superclass labels.
// Usage (after npm run build): node scripts/torch/benchmark-data.mjs OUT_DIR [N] [SEED]
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { synthesizeDatabase, writeNpy, SUPERCLASSES } from '../../dist/src/index.js';

const [out, n = '3000', seed = '21'] = process.argv.slice(2);
if (!out) throw new Error('usage: benchmark-data.mjs OUT_DIR [N] [SEED]');
mkdirSync(out, { recursive: true });
const N = Number(n);
const x = new Float32Array(N * 12 * 1000), y = new Float32Array(N * SUPERCLASSES.length);
let i = 0;
for (const ecg of synthesizeDatabase({ n: N, seed: Number(seed), layout: 'ptbxl', fs: 100 })) {
  x.set(ecg.signal, i * 12 * 1000);
  const cls = String(ecg.meta.extra.superclasses).split(',');
  SUPERCLASSES.forEach((c, k) => (y[i * SUPERCLASSES.length + k] = cls.includes(c) ? 1 : 0));
  i++;
}
writeNpy(join(out, 'x.npy'), { data: x, shape: [N, 12, 1000] });
writeNpy(join(out, 'y.npy'), { data: y, shape: [N, SUPERCLASSES.length] });
console.log(`wrote ${N} ECGs (seed ${seed}) and labels ${SUPERCLASSES.join(',')} to ${out}`);
