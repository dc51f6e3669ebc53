import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultBatchSize, defaultLearningRate } from './defaults.js';

test('default batch size scales with the training ECGs (about 100 steps per epoch) within 8..64; the learning rate by the square-root rule', () => {
  assert.equal(defaultBatchSize(240), 8);
  assert.equal(defaultBatchSize(1800), 16);
  assert.equal(defaultBatchSize(3200), 32);
  assert.equal(defaultBatchSize(4674), 64);
  assert.equal(defaultBatchSize(100_000), 64);
  assert.equal(defaultBatchSize(0), 8);
  for (const n of [300, 1000, 2500, 5000]) {
    const steps = n / defaultBatchSize(n);
    assert.ok(steps >= 30 && steps <= 150, `${n} ECGs: ${steps} steps per epoch`);
  }
  assert.equal(defaultLearningRate(64), 4e-3);
  assert.ok(Math.abs(defaultLearningRate(16) - 2e-3) < 1e-15);
});
