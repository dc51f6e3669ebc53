import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder, resolvePad } from './builder.js';
import { makeFloatTensor, tensorFloat32, tensorDims, valueInfoDims, type ModelProto } from './proto.js';
import { OnnxSession } from '../runtime.js';
import { Rng } from '../../util/rng.js';
import { ModelError } from '../../util/errors.js';
import fc from 'fast-check';

/** Replaces an initializer's values (to test with non-trivial weights). */
function setInit(model: ModelProto, name: string, data: Float32Array): void {
  const inits = model.graph!.initializer!;
  const i = inits.findIndex((t) => t.name === name);
  assert.ok(i >= 0, `no initializer ${name}`);
  inits[i] = makeFloatTensor(name, tensorDims(inits[i]!), data);
}

function init(model: ModelProto, name: string): Float32Array {
  return tensorFloat32(model.graph!.initializer!.find((t) => t.name === name)!);
}

function randn(n: number, seed: number, sd = 1): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.normal(0, sd));
}

async function runOnce(model: ModelProto, x: Float32Array, shape: number[], input = 'x'): Promise<Record<string, { data: Float32Array; shape: number[] }>> {
  const s = await OnnxSession.create(model, { threads: 1 });
  try {
    return await s.run({ [input]: { data: x, shape } });
  } finally {
    await s.release();
  }
}

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i]! - want[i]!);
    assert.ok(d <= tol * (1 + Math.abs(want[i]!)), `${what}[${i}]: got ${got[i]}, want ${want[i]}`);
  }
}

/** Direct 1D convolution: x [n, c, t], w [m, c, k], zero padding [pl, pr]. */
function naiveConv(x: Float32Array, n: number, c: number, t: number, w: Float32Array, b: Float32Array, m: number, k: number, stride: number, pl: number, pr: number, dil: number): { data: number[]; tOut: number } {
  const tOut = Math.floor((t + pl + pr - dil * (k - 1) - 1) / stride) + 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++)
    for (let o = 0; o < m; o++)
      for (let u = 0; u < tOut; u++) {
        let s = b[o]!;
        for (let ch = 0; ch < c; ch++)
          for (let j = 0; j < k; j++) {
            const p = u * stride - pl + j * dil;
            if (p >= 0 && p < t) s += w[(o * c + ch) * k + j]! * x[(i * c + ch) * t + p]!;
          }
        out.push(s);
      }
  return { data: out, tOut };
}

test('builder conv1d: stride, asymmetric padding and dilation match a direct convolution', async () => {
  const cases = [
    { stride: 2, pad: [1, 2] as [number, number], dilation: 2, kernel: 3, t: 20 },
    { stride: 1, pad: 'same' as const, dilation: 1, kernel: 5, t: 17 },
    { stride: 3, pad: 'same' as const, dilation: 1, kernel: 4, t: 20 },
    { stride: 1, pad: 0, dilation: 3, kernel: 2, t: 9 },
  ];
  for (const [ci, cs] of cases.entries()) {
    const g = new GraphBuilder({ seed: 7 });
    const x = g.input('x', ['batch', 3, cs.t]);
    const y = g.conv1d(x, { outChannels: 4, kernel: cs.kernel, stride: cs.stride, pad: cs.pad, dilation: cs.dilation, name: 'c' });
    g.output(y);
    const model = g.build();
    const bias = randn(4, 100 + ci);
    setInit(model, 'c.bias', bias);
    const xs = randn(2 * 3 * cs.t, 200 + ci);
    const [pl, pr] = resolvePad(cs.pad, cs.t, cs.dilation * (cs.kernel - 1) + 1, cs.stride, 'test');
    const want = naiveConv(xs, 2, 3, cs.t, init(model, 'c.weight'), bias, 4, cs.kernel, cs.stride, pl, pr, cs.dilation);
    const got = (await runOnce(model, xs, [2, 3, cs.t]))['c']!;
    assert.deepEqual(got.shape, [2, 4, want.tOut], `case ${ci}: shape`);
    assert.deepEqual(y.shape, ['batch', 4, want.tOut], `case ${ci}: tracked shape`);
    assertClose(got.data, want.data, 1e-5, `case ${ci}`);
  }
  // 'same' keeps the length at stride 1 and gives ceil(T / stride) otherwise.
  assert.deepEqual(resolvePad('same', 17, 5, 1, 't'), [2, 2]);
  assert.deepEqual(resolvePad('same', 20, 4, 3, 't'), [1, 1]); // ceil(20/3) = 7 outputs need 6*3+4-20 = 2
  assert.deepEqual(resolvePad('same', 20, 5, 3, 't'), [1, 2]); // odd total: the extra sample goes right
});

test('builder conv1d and pools: tracked shapes and values match onnxruntime for random geometries', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        t: fc.integer({ min: 1, max: 40 }),
        kernel: fc.integer({ min: 1, max: 7 }),
        stride: fc.integer({ min: 1, max: 4 }),
        dilation: fc.integer({ min: 1, max: 3 }),
        pad: fc.oneof(fc.constant('same' as const), fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }))),
        seed: fc.integer({ min: 0, max: 1000 }),
      }),
      async (p) => {
        const span = p.dilation * (p.kernel - 1) + 1;
        const [pl, pr] = resolvePad(p.pad, p.t, span, p.stride, 'prop');
        if (p.t + pl + pr < span) return; // the builder rejects windows longer than the padded input
        const g = new GraphBuilder({ seed: p.seed });
        const x = g.input('x', ['batch', 2, p.t]);
        const y = g.conv1d(x, { outChannels: 3, kernel: p.kernel, stride: p.stride, dilation: p.dilation, pad: p.pad, name: 'c' });
        g.output(y);
        const poolPad = p.pad === 'same' ? 'same' : ([Math.min(pl, p.kernel - 1), Math.min(pr, p.kernel - 1)] as [number, number]);
        const [ql, qr] = resolvePad(poolPad, p.t, p.kernel, p.stride, 'prop');
        const pooled = p.t + ql + qr >= p.kernel && ql < p.kernel && qr < p.kernel ? g.maxPool1d(x, { kernel: p.kernel, stride: p.stride, pad: poolPad, name: 'p' }) : undefined;
        if (pooled) g.output(pooled);
        const model = g.build();
        const xs = randn(2 * p.t, p.seed + 1);
        const out = await runOnce(model, xs, [1, 2, p.t]);
        const want = naiveConv(xs, 1, 2, p.t, init(model, 'c.weight'), new Float32Array(3), 3, p.kernel, p.stride, pl, pr, p.dilation);
        assert.deepEqual(out['c']!.shape, [1, 3, want.tOut]);
        assert.deepEqual(y.shape, ['batch', 3, want.tOut]);
        assertClose(out['c']!.data, want.data, 1e-5, 'conv');
        if (pooled) assert.deepEqual(out['p']!.shape, [1, ...pooled.shape.slice(1)]);
      },
    ),
    { numRuns: 30, seed: 42 },
  );
});

test('builder batchNorm: inference formula gamma * (x - mean) / sqrt(var + eps) + beta', async () => {
  const g = new GraphBuilder({ seed: 1 });
  const x = g.input('x', ['batch', 3, 5]);
  g.output(g.batchNorm(x, { eps: 1e-3, name: 'bn' }));
  const model = g.build();
  assert.deepEqual(Array.from(init(model, 'bn.weight')), [1, 1, 1]);
  assert.deepEqual(Array.from(init(model, 'bn.bias')), [0, 0, 0]);
  assert.deepEqual(Array.from(init(model, 'bn.running_mean')), [0, 0, 0]);
  assert.deepEqual(Array.from(init(model, 'bn.running_var')), [1, 1, 1]);
  const gamma = Float32Array.of(0.5, 2, -1), beta = Float32Array.of(0.1, -0.2, 3), mean = Float32Array.of(1, -1, 0.25), vr = Float32Array.of(4, 0.5, 2);
  setInit(model, 'bn.weight', gamma);
  setInit(model, 'bn.bias', beta);
  setInit(model, 'bn.running_mean', mean);
  setInit(model, 'bn.running_var', vr);
  const xs = randn(2 * 3 * 5, 3);
  const want = Array.from(xs, (v, i) => {
    const c = Math.floor(i / 5) % 3;
    return (gamma[c]! * (v - mean[c]!)) / Math.sqrt(vr[c]! + 1e-3) + beta[c]!;
  });
  assertClose((await runOnce(model, xs, [2, 3, 5]))['bn']!.data, want, 1e-5, 'bn');
});

test('builder pools: max and average pooling with padding, global average pool', async () => {
  const g = new GraphBuilder({ seed: 1 });
  const x = g.input('x', ['batch', 2, 7]);
  g.output(g.maxPool1d(x, { kernel: 3, stride: 2, pad: 1, name: 'mp' }));
  g.output(g.avgPool1d(x, { kernel: 3, stride: 2, pad: 1, name: 'ap' }));
  g.output(g.maxPool1d(x, { kernel: 2, pad: 'same', name: 'mps' }));
  g.output(g.flatten(g.globalAvgPool(x, 'gap'), 'flat'));
  const model = g.build();
  const xs = Float32Array.of(1, -2, 3, 0, 5, -6, 2, /* ch1 */ -1, -1, -4, 8, 0, 1, -3);
  const out = await runOnce(model, xs, [1, 2, 7]);
  const win = (c: number, lo: number, hi: number): number[] => {
    const v: number[] = [];
    for (let p = lo; p <= hi; p++) if (p >= 0 && p < 7) v.push(xs[c * 7 + p]!);
    return v;
  };
  const mp: number[] = [], ap: number[] = [], mps: number[] = [], gap: number[] = [];
  for (let c = 0; c < 2; c++) {
    for (let u = 0; u < 4; u++) {
      const w = win(c, 2 * u - 1, 2 * u + 1);
      mp.push(Math.max(...w));
      ap.push(w.reduce((a, b) => a + b, 0) / w.length); // padding not counted
    }
    for (let u = 0; u < 4; u++) mps.push(Math.max(...win(c, 2 * u, 2 * u + 1))); // ceil(7/2) = 4, last window padded on the right
    gap.push(win(c, 0, 6).reduce((a, b) => a + b, 0) / 7);
  }
  assert.deepEqual(out['mp']!.shape, [1, 2, 4]);
  assertClose(out['mp']!.data, mp, 0, 'maxpool');
  assertClose(out['ap']!.data, ap, 1e-6, 'avgpool');
  assert.deepEqual(out['mps']!.shape, [1, 2, 4]);
  assertClose(out['mps']!.data, mps, 0, 'maxpool same');
  assert.deepEqual(out['flat']!.shape, [1, 2]);
  assertClose(out['flat']!.data, gap, 1e-6, 'gap');
});

test('builder linear, add, relu, sigmoid, softmax and dropout (inference) compute their formulas', async () => {
  const g = new GraphBuilder({ seed: 5 });
  const x = g.input('x', ['batch', 4]);
  const lin = g.linear(x, 3, { name: 'fc' });
  const sum = g.add(lin, g.constant('shift', [3], Float32Array.of(1, -1, 0.5)), 'sum');
  g.output(sum);
  g.output(g.relu(sum, 'r'));
  g.output(g.sigmoid(sum, 's'));
  g.output(g.softmax(sum, -1, 'sm'));
  g.output(g.dropout(sum, 0.5, 'drop'));
  const model = g.build();
  const w = init(model, 'fc.weight'), b = init(model, 'fc.bias');
  // nn.Linear's init: uniform in +-1/sqrt(in_features)
  for (const v of [...w, ...b]) assert.ok(Math.abs(v) <= 0.5, `linear init ${v} outside +-1/sqrt(4)`);
  const xs = Float32Array.of(1, 2, 3, 4, -1, 0.5, 0, 2);
  const out = await runOnce(model, xs, [2, 4]);
  const want: number[] = [];
  for (let i = 0; i < 2; i++)
    for (let o = 0; o < 3; o++) {
      let s = b[o]! + [1, -1, 0.5][o]!;
      for (let f = 0; f < 4; f++) s += w[o * 4 + f]! * xs[i * 4 + f]!;
      want.push(s);
    }
  assertClose(out['sum']!.data, want, 1e-6, 'linear + add');
  assertClose(out['r']!.data, want.map((v) => Math.max(v, 0)), 1e-6, 'relu');
  assertClose(out['s']!.data, want.map((v) => 1 / (1 + Math.exp(-v))), 1e-6, 'sigmoid');
  const sm = want.map((v, i) => {
    const row = want.slice(Math.floor(i / 3) * 3, Math.floor(i / 3) * 3 + 3);
    return Math.exp(v) / row.reduce((a, r) => a + Math.exp(r), 0);
  });
  assertClose(out['sm']!.data, sm, 1e-6, 'softmax');
  assert.deepEqual(out['drop']!.data, out['sum']!.data, 'dropout is identity at inference');
});

test('builder: He init has std sqrt(2 / fan_in); the same seed gives the same weights', () => {
  const make = (seed: number): ModelProto => {
    const g = new GraphBuilder({ seed });
    const x = g.input('x', ['batch', 16, 64]);
    g.output(g.conv1d(x, { outChannels: 64, kernel: 9, pad: 'same', name: 'c' }));
    return g.build();
  };
  const w = init(make(3), 'c.weight');
  assert.equal(w.length, 64 * 16 * 9);
  const mean = w.reduce((a, b) => a + b, 0) / w.length;
  const sd = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / (w.length - 1));
  const target = Math.sqrt(2 / (16 * 9));
  // 9216 draws: the sample sd is within 3% of sigma with overwhelming probability (its sd is ~0.74%).
  assert.ok(Math.abs(sd / target - 1) < 0.03, `sd ${sd} vs ${target}`);
  assert.ok(Math.abs(mean) < 4 * (target / Math.sqrt(w.length)), `mean ${mean}`);
  assert.deepEqual(init(make(3), 'c.weight'), w);
  assert.notDeepEqual(init(make(4), 'c.weight'), w);
  assert.deepEqual(Array.from(init(make(3), 'c.bias')), new Array(64).fill(0));
});

test('builder: value_info covers every intermediate tensor; opset 17, IR 8, metadata kept', async () => {
  const g = new GraphBuilder({ seed: 1, name: 'tiny' });
  const x = g.input('x', ['batch', 2, 16]);
  const h = g.relu(g.batchNorm(g.conv1d(x, { outChannels: 3, kernel: 3, pad: 'same', bias: false })));
  g.output(g.linear(g.flatten(g.maxPool1d(h, { kernel: 2 })), 2), 'y');
  const model = g.build({ note: 'hello' });
  assert.equal(model.irVersion, 8);
  assert.equal(model.opsetImport![0]!.version, 17);
  assert.deepEqual(model.metadataProps, [{ key: 'note', value: 'hello' }]);
  const vi = new Map(model.graph!.valueInfo!.map((v) => [v.name!, valueInfoDims(v)]));
  for (const n of model.graph!.node!) for (const o of n.output!) if (o !== 'y') assert.ok(vi.has(o), `no value_info for ${o}`);
  assert.deepEqual(vi.get('flatten1'), ['batch', 24]);
  assert.deepEqual(valueInfoDims(model.graph!.output![0]!), ['batch', 2]);
  const out = await runOnce(model, randn(3 * 2 * 16, 1), [3, 2, 16]);
  assert.deepEqual(out['y']!.shape, [3, 2]);
});

test('builder: misuse is a ModelError naming the tensor', () => {
  const g = new GraphBuilder({ seed: 1 });
  const x = g.input('x', ['batch', 2, 16]);
  assert.throws(() => g.input('x', [1]), (e: unknown) => e instanceof ModelError && /'x' is already used/.test(e.message));
  assert.throws(() => g.linear(x, 3), (e: unknown) => e instanceof ModelError && /'x'.*rank 2/.test(e.message));
  assert.throws(() => g.conv1d(x, { outChannels: 2, kernel: 20 }), (e: unknown) => e instanceof ModelError && /shorter than the window/.test(e.message));
  const y = g.input('y', ['batch', 3, 16]);
  assert.throws(() => g.add(x, y), (e: unknown) => e instanceof ModelError && /broadcast 'x'/.test(e.message));
  assert.throws(() => g.build(), ModelError);
});
