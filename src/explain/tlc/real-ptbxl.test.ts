/**
 * End to end on real ECGs: a small model trained on 400 PTB-XL records from
 * ../shared/data/ptbxl (Challenge labels; four common classes, NSR, LAD, TAb
 * and LAnFB, so that the 80 test ECGs hold enough positives of each for an
 * AUROC that does not swing with a handful of ECGs), then TLC on its last three blocks,
 * evaluated on the test fold, and
 * the label-quality ranking with seeded flipped labels. Each assertion
 * compares with a baseline the pipeline could fail to beat.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SHARED_DIR, runCli } from '../../../test/data-paths.js';
import { trainRun } from '../../train/run.js';
import { evaluateTlcRun } from './pipeline.js';

const DIR = resolve(SHARED_DIR, 'data/ptbxl');
const LABELS = resolve(DIR, 'cinc2020_labels.csv');
const root = mkdtempSync(join(tmpdir(), 'ecgx-real-tlc-'));
const run = join(root, 'run');
const skip = existsSync(LABELS) ? false : `no ${LABELS}`;

const trained = skip ? Promise.resolve(undefined) : trainRun({
  data: DIR, labelTable: { file: LABELS }, task: 'NSR,LAD,TAb,LAnFB', maxRecords: 400,
  model: 'resnet1d:filters=8,16,16,16;downsample=2,4,4;kernel=7', epochs: 2, cv: 5, folds: [1], seed: 3, threads: 1,
}, run, { log: () => undefined, progress: false });

test('real PTB-XL: a 2-epoch model, TLC on its last three blocks beats the baselines on the test fold', { skip, timeout: 120_000 }, async () => {
  const rec = (await trained)!;
  const classes = rec.task.classes;
  assert.deepEqual(classes, ['NSR', 'LAD', 'TAb', 'LAnFB']);
  assert.equal(rec.folds[0]!.batchSize, 8, `default batch for ${rec.folds[0]!.nTrain} training ECGs`);
  assert.ok(rec.folds[0]!.test['auroc']! > 0.6, `CNN test AUROC ${rec.folds[0]!.test['auroc']}`);

  const ev = await evaluateTlcRun(run, { k: 4, folds: [1], waves: 'delineate', threads: 1, progress: false, forest: { nTrees: 40 }, noise: { sigma: 0.1 } });
  assert.deepEqual(ev.groups, ['block1', 'block2', 'block3']);
  const f = ev.folds[0]!, s = f.surrogate;
  // The forest on cluster proportions agrees with the CNN at least as often as always predicting the CNN's most frequent label, and beats chance on the true labels.
  assert.ok(s.fidelity >= s.majority!.fidelity, `fidelity ${s.fidelity} vs majority ${s.majority!.fidelity}`);
  assert.ok(s.exactMatch! >= s.majority!.exactMatch!, `exact match ${s.exactMatch} vs majority ${s.majority!.exactMatch}`);
  assert.ok(s.forest['auroc']! > 0.65, `forest AUROC on the true labels ${s.forest['auroc']}`);
  assert.ok(s.kappaPerClass!.every((kp) => Number.isNaN(kp) || (kp >= -1 && kp <= 1)));
  // Proportions are distributions: each group's K mean proportions sum to 1, for ECGs with and without each label.
  for (const [cls, v] of Object.entries(f.classProportions)) {
    for (const side of [v.positive, v.negative]) {
      for (let g = 0; g < 3; g++) {
        const sum = side.slice(g * 4, g * 4 + 4).reduce((a, b) => a + b, 0);
        if (side === v.positive && v.nPositive === 0) continue;
        assert.ok(Math.abs(sum - 1) < 1e-3 && side.every((p) => p >= 0), `${cls}: proportions of group ${g} sum to ${sum}`);
      }
    }
  }
  // The held-out temperature is sharper than the inertia rule, and entropy histograms are distributions.
  for (const t of f.temperature!) assert.ok(t.tau < t.inertiaTau / 2, `tau ${t.tau} vs inertia rule ${t.inertiaTau}`);
  for (const e of f.entropy) {
    assert.ok(Math.abs(e.histogram.reduce((a, b) => a + b, 0) - 1) < 1e-9);
    assert.ok(e.noise!.ecgs === s.nTest && e.noise!.changed > 0, `noise changed ${e.noise!.changed} of the stretch's clusters`);
  }
  // The first block's clusters follow the delineated waves better than the same waves shifted half a beat.
  assert.ok(f.waves![0]!.nmi > f.waves![0]!.null.nmi, `NMI ${f.waves![0]!.nmi} vs null ${f.waves![0]!.null.nmi}`);
});

test('real PTB-XL: ecgx tlc label-quality finds flipped labels far above a random ranking', { skip, timeout: 120_000 }, async () => {
  await trained;
  const r = runCli(['tlc', 'label-quality', '--run', run, '--fold', '1', '--k', '4', '--flip', '0.05', '--top', '5', '--threads', '1', '--json'], 120_000);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { ecgs: number; classes: string[]; ranking: { score: number; flipped: boolean }[]; flip: { flipped: number; recallAtK: number; recallAt2K: number; randomAtK: number } };
  assert.equal(j.ranking.length, 5);
  assert.equal(j.flip.flipped, Math.round(0.05 * j.ecgs));
  assert.ok(j.flip.recallAt2K >= j.flip.recallAtK);
  assert.ok(j.flip.recallAtK > 5 * j.flip.randomAtK, `recall in the top k ${j.flip.recallAtK} vs random ${j.flip.randomAtK}`);
});
