import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFloatTensor, makeNode, saveModel } from '../engine/onnx/proto.js';
import { graphModel } from '../engine/autodiff/testing.js';
import { readNpy, writeNpy } from '../util/npy.js';
import { parseOf } from './model-grad.js';
import { CLI, runCli } from '../../test/data-paths.js';

const ecgx = (...args: string[]): ReturnType<typeof runCli> => runCli(args);

/** z = W x + b per time step (a 1x1 Conv), h = z * z, logits = mean over time of h: gradients known in closed form. */
const W = [1, 2, -1, 0.5, 0, 3]; // [3 out, 2 in, 1]
const B = [0.1, -0.2, 0.3];
function tinyModel() {
  return graphModel({
    nodes: [
      makeNode('Conv', ['ecg', 'W', 'B'], ['/conv/z'], { kernel_shape: [1] }),
      makeNode('Mul', ['/conv/z', '/conv/z'], ['h']),
      makeNode('ReduceMean', ['h'], ['logits'], { axes: [2], keepdims: 0 }),
    ],
    inputs: [{ name: 'ecg', shape: ['batch', 2, 4] }],
    outputs: [{ name: 'logits', shape: ['batch', 3] }],
    initializers: [makeFloatTensor('W', [3, 2, 1], W), makeFloatTensor('B', [3], B)],
  });
}

test('parseOf: OUTPUT, OUTPUT:INDEX, names that contain a colon', () => {
  const t = new Set(['logits', 'onnx::Gemm_7']);
  assert.deepEqual(parseOf('logits', t), { of: 'logits', index: undefined });
  assert.deepEqual(parseOf('logits:2', t), { of: 'logits', index: 2 });
  assert.deepEqual(parseOf('onnx::Gemm_7', t), { of: 'onnx::Gemm_7', index: undefined });
  assert.deepEqual(parseOf('onnx::Gemm_7:1', t), { of: 'onnx::Gemm_7', index: 1 });
  assert.throws(() => parseOf('probs', t), /--of: the model has no tensor 'probs'/);
});

test('cli: ecgx model grad writes closed-form gradients for input, activation and parameter', { skip: !existsSync(CLI) && 'CLI not built (npm run build)' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-grad-'));
  try {
    saveModel(join(dir, 'm.onnx'), tinyModel());
    const x = { data: Float32Array.from({ length: 2 * 2 * 4 }, (_, i) => Math.sin(i + 1)), shape: [2, 2, 4] };
    writeNpy(join(dir, 'x.npy'), x);
    const out = join(dir, 'out');
    const r = ecgx('model', 'grad', join(dir, 'm.onnx'), '--input', join(dir, 'x.npy'), '--of', 'logits:1', '--wrt', 'input,/conv/z,W', '--threads', '1', '--out', out);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(out).sort(), ['.ecgx', 'grad.json', 'grad_W.npy', 'grad_conv_z.npy', 'grad_ecg.npy']);
    // z[b, o, t] = sum_i W[o, i] x[b, i, t] + B[o];  L = sum_b mean_t z[b, 1, t]^2
    const z = (b: number, o: number, t: number): number => W[o * 2]! * x.data[(b * 2) * 4 + t]! + W[o * 2 + 1]! * x.data[(b * 2 + 1) * 4 + t]! + B[o]!;
    const gz = readNpy(join(out, 'grad_conv_z.npy'));
    const gx = readNpy(join(out, 'grad_ecg.npy'));
    const gw = readNpy(join(out, 'grad_W.npy'));
    assert.deepEqual(gz.shape, [2, 3, 4]);
    assert.deepEqual(gx.shape, [2, 2, 4]);
    assert.deepEqual(gw.shape, [3, 2, 1]);
    const wantW = [0, 0, 0, 0, 0, 0];
    for (let b = 0; b < 2; b++) {
      for (let t = 0; t < 4; t++) {
        for (let o = 0; o < 3; o++) {
          const want = o === 1 ? (2 * z(b, 1, t)) / 4 : 0;
          assert.ok(Math.abs(gz.data[(b * 3 + o) * 4 + t]! - want) < 1e-5);
        }
        for (let i = 0; i < 2; i++) {
          const dz = (2 * z(b, 1, t)) / 4;
          assert.ok(Math.abs(gx.data[(b * 2 + i) * 4 + t]! - W[2 + i]! * dz) < 1e-5);
          wantW[2 + i] += dz * x.data[(b * 2 + i) * 4 + t]!;
        }
      }
    }
    for (let k = 0; k < 6; k++) assert.ok(Math.abs(gw.data[k]! - wantW[k]!) < 1e-4, `dW[${k}] ${gw.data[k]} vs ${wantW[k]}`);
    const cfg = JSON.parse(readFileSync(join(out, 'grad.json'), 'utf8')) as { of: string; index: number; wrt: { tensor: string; file: string }[] };
    assert.equal(cfg.of, 'logits');
    assert.equal(cfg.index, 1);
    assert.deepEqual(cfg.wrt.map((w) => w.file), ['grad_ecg.npy', 'grad_conv_z.npy', 'grad_W.npy']);

    // User mistakes: one line naming the flag, non-zero exit, nothing written.
    const bad = ecgx('model', 'grad', join(dir, 'm.onnx'), '--input', join(dir, 'x.npy'), '--of', 'logits:7', '--wrt', 'input', '--out', join(dir, 'bad'));
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /^ecgx: --of: .*index 7 is out of range/);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    assert.ok(!existsSync(join(dir, 'bad')));
    const noTensor = ecgx('model', 'grad', join(dir, 'm.onnx'), '--input', join(dir, 'x.npy'), '--of', 'logits', '--wrt', 'block9', '--out', join(dir, 'bad'));
    assert.match(noTensor.stderr, /--wrt: .*no tensor 'block9'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
