// Cross-check of the synthetic ground truth against an independent delineator:
// ecgDelineate on 30 synthetic 10-s records at 500 Hz, scored with
// DelineationScorer against the records' own waves, noise-free ('ideal') and
// with PTB-XL-like noise ('ptbxl'). Errors are detected - ground truth, ms.
// Run: npm run build && node dist/bench/_synth-delineation.js [nRecords]
import { synthesizeEcg } from '../src/data/synth/index.js';
import { DelineationScorer, ecgDelineate, formatEvaluation } from '../src/delineate/index.js';

const n = Number(process.argv[2] ?? 30);
for (const cohort of ['ideal', 'ptbxl']) {
  const scorer = new DelineationScorer(150);
  for (let s = 0; s < n; s++) {
    const ecg = synthesizeEcg({ fs: 500, seed: 300 + s, cohort });
    const reference = Object.fromEntries(Object.entries(ecg.waves!).filter(([k]) => k !== '*'));
    scorer.add(reference, ecgDelineate(ecg).waves, ecg.fs);
  }
  console.log(`cohort ${cohort}`);
  console.log(formatEvaluation(scorer.result()));
}
