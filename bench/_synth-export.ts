// Exports a synthetic database as .npy for the learnability check
// (bench/synth_learnability.py, PyTorch): X [n, 12, 1000] float32 mV at 100 Hz
// (CODE-15%'s 400 Hz averaged over 4 samples), Y [n, 5] superclass indicators
// (NORM, MI, STTC, CD, HYP), age [n], fold [n] (strat_fold 1-10).
// Run: npm run build && node dist/bench/_synth-export.js ptbxl|code15 N OUT_DIR [seed]
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SUPERCLASSES, synthesizeDatabase, writeNpy, type SynthLayout } from '../src/index.js';

const [layout, nText, out, seedText] = process.argv.slice(2);
if ((layout !== 'ptbxl' && layout !== 'code15') || !nText || !out) {
  console.error('usage: node dist/bench/_synth-export.js ptbxl|code15 N OUT_DIR [seed]');
  process.exit(2);
}
const n = Number(nText), T = 1000;
const X = new Float32Array(n * 12 * T), Y = new Float32Array(n * 5), age = new Float32Array(n), fold = new Float32Array(n);
let i = 0;
for (const e of synthesizeDatabase({ n, seed: Number(seedText ?? 123), layout: layout as SynthLayout, ...(layout === 'ptbxl' ? { fs: 100 } : {}) })) {
  const step = e.fs / 100;
  for (let l = 0; l < 12; l++) {
    for (let t = 0; t < T; t++) {
      let s = 0;
      for (let k = 0; k < step; k++) s += e.signal[l * e.nSamples + t * step + k]!;
      X[(i * 12 + l) * T + t] = s / step;
    }
  }
  const sc = String(e.meta.extra!['superclasses']).split(',');
  SUPERCLASSES.forEach((c, j) => (Y[i * 5 + j] = sc.includes(c) ? 1 : 0));
  age[i] = e.meta.age!;
  fold[i] = Number(e.meta.extra!['strat_fold']);
  i++;
}
mkdirSync(out, { recursive: true });
writeNpy(join(out, 'X.npy'), { data: X, shape: [n, 12, T] });
writeNpy(join(out, 'Y.npy'), { data: Y, shape: [n, 5] });
writeNpy(join(out, 'age.npy'), { data: age, shape: [n] });
writeNpy(join(out, 'fold.npy'), { data: fold, shape: [n] });
console.log(`wrote ${n} ${layout} records to ${out}`);
