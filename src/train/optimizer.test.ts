import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdamW, clipGradNorm, learningRate } from './optimizer.js';

test('AdamW: three steps match torch.optim.AdamW (lr 0.1, betas 0.9/0.999, eps 1e-8, wd 0.01; no decay on the bias)', () => {
  // Reference values printed by PyTorch 2 (float32), parameter groups
  // [{p, weight_decay 0.01}, {b, weight_decay 0}]:
  //   p = [1, -2, 0.3], b = [0.2]; grads per step below.
  const torch = [
    { p: [0.8990000486373901, -2.0980000495910645, 0.39969903230667114], b: [0.10000001639127731] },
    { p: [0.9033641815185547, -2.195901870727539, 0.3249191343784332], b: [0.05997815728187561] },
    { p: [0.902009904384613, -2.186141014099121, 0.2670981287956238], b: [0.029041150584816933] },
  ];
  const grads = [
    { p: [0.5, 0.1, -1e-3], b: [0.3] },
    { p: [-0.5, 0.1, 2.0], b: [-0.1] },
    { p: [0.05, -0.2, 0.0], b: [0.0] },
  ];
  const p = Float32Array.of(1, -2, 0.3), b = Float32Array.of(0.2);
  const opt = new AdamW({ weightDecay: 0.01 });
  grads.forEach((g, k) => {
    opt.update([{ name: 'p', value: p, decay: true }, { name: 'b', value: b, decay: false }], { p: Float32Array.from(g.p), b: Float32Array.from(g.b) }, 0.1);
    torch[k]!.p.forEach((v, i) => assert.ok(Math.abs(p[i]! - v) < 2e-6, `step ${k + 1} p[${i}] ${p[i]} vs ${v}`));
    assert.ok(Math.abs(b[0]! - torch[k]!.b[0]!) < 2e-6, `step ${k + 1} b ${b[0]} vs ${torch[k]!.b[0]}`);
  });
  assert.equal(opt.step, 3);
  // First step by hand: bias-corrected m = g and v = g^2, so the Adam step is lr * g / (|g| + eps) = lr * sign(g)
  // (to 1e-7), after the decay p * (1 - lr * wd) = p * 0.999: 1 -> 0.999 - 0.1, -2 -> -1.998 - 0.1; the bias is not decayed.
  const q = Float32Array.of(1, -2), c = Float32Array.of(0.2);
  new AdamW({ weightDecay: 0.01 }).update([{ name: 'q', value: q, decay: true }, { name: 'c', value: c, decay: false }], { q: Float32Array.of(0.5, 0.1), c: Float32Array.of(0.3) }, 0.1);
  assert.ok(Math.abs(q[0]! - 0.899) < 1e-6 && Math.abs(q[1]! + 2.098) < 1e-6 && Math.abs(c[0]! - 0.1) < 1e-6, `${q} ${c}`);
});

test('clipGradNorm: scales to the max norm, leaves small gradients alone', () => {
  const g = { a: Float32Array.of(3, 0), b: Float32Array.of(0, 4) }; // norm 5
  assert.equal(clipGradNorm(g, 10), 5);
  assert.deepEqual(Array.from(g.a), [3, 0]);
  assert.equal(clipGradNorm(g, 1), 5);
  const n = Math.hypot(...g.a, ...g.b);
  assert.ok(Math.abs(n - 1) < 1e-5, `clipped norm ${n}`);
  assert.ok(Math.abs(g.a[0]! / g.b[1]! - 0.75) < 1e-6, 'direction kept');
});

test('learning-rate schedules: cosine warm-up and decay, one-cycle peak and ends', () => {
  const cos = { kind: 'cosine' as const, lr: 1, totalSteps: 110, warmupSteps: 10 };
  assert.ok(Math.abs(learningRate(cos, 0) - 0.1) < 1e-12);
  assert.ok(Math.abs(learningRate(cos, 9) - 1) < 1e-12);
  assert.ok(Math.abs(learningRate(cos, 10) - 1) < 1e-12);
  assert.ok(Math.abs(learningRate(cos, 60) - 0.5) < 1e-12); // half-way through the decay
  assert.ok(learningRate(cos, 109) < 0.001);
  const one = { kind: 'onecycle' as const, lr: 1, totalSteps: 100 };
  assert.ok(Math.abs(learningRate(one, 0) - 1 / 25) < 1e-12);
  assert.ok(Math.abs(learningRate(one, 29) - 1) < 1e-12);
  assert.ok(Math.abs(learningRate(one, 99) - 1 / 25 / 1e4) < 1e-12);
  assert.equal(learningRate({ kind: 'constant', lr: 0.3, totalSteps: 5 }, 4), 0.3);
});
