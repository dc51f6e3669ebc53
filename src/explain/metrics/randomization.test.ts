/**
 * The cascading randomisation check shows guided backpropagation's known
 * insensitivity to the model (Adebayo et al. 2018): on the torch ResNet, its
 * maps still correlate with the trained model's after the top layers are
 * redrawn, while saliency's correlation collapses at the first stage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { REPO_ROOT } from '../../../test/data-paths.js';
import { readNpy } from '../../util/npy.js';
import { loadModel } from '../../engine/onnx/proto.js';
import { cascadingRandomization } from './randomization.js';

const DIR = resolve(REPO_ROOT, 'test/fixtures/torch');

test('randomisation check: guided backprop survives randomising the top layers, saliency does not', async (t) => {
  const model = loadModel(resolve(DIR, 'classifier_op13_bn.onnx'));
  const x = readNpy(resolve(DIR, 'x.npy'));
  const stages = 4;
  const run = async (method: string): Promise<number[]> => (await cascadingRandomization(model, x, { method, target: 1, seed: 3, maxStages: stages })).stages.map((s) => s.mean);
  const sal = await run('saliency');
  const gbp = await run('guided-backprop');
  t.diagnostic(`Spearman (abs) with the trained model's maps, top ${stages} layers redrawn one by one: saliency ${sal.map((v) => v.toFixed(2)).join(' ')}; guided-backprop ${gbp.map((v) => v.toFixed(2)).join(' ')}`);
  for (let s = 0; s < stages; s++) {
    assert.ok(sal[s]! < 0.3, `stage ${s + 1}: saliency still correlates ${sal[s]}`);
    assert.ok(gbp[s]! > 0.5, `stage ${s + 1}: guided backprop correlates only ${gbp[s]} (expected its known insensitivity)`);
  }
});
