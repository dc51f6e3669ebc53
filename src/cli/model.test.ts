import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resnet1d } from '../models/resnet1d.js';
import { saveModel } from '../engine/onnx/proto.js';
import { readNpy, writeNpy } from '../util/npy.js';
import { OnnxSession } from '../engine/runtime.js';
import { sanitizeTensorName } from './model.js';
import { CLI, runCli } from '../../test/data-paths.js';

const ecgx = (...args: string[]): ReturnType<typeof runCli> => runCli(args);

const OPTS = { leads: 2, samples: 32, filters: [4, 4, 6], downsample: [2, 2], kernel: 3, dropout: 0.2, head: 'gap' as const, task: 'multilabel' as const, outputs: 2, seed: 3 };

test('cli: ecgx model info and run on a small model', { skip: !existsSync(CLI) && 'CLI not built (npm run build)' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-model-'));
  try {
    const model = resnet1d(OPTS);
    saveModel(join(dir, 'm.onnx'), model);
    const x = { data: Float32Array.from({ length: 5 * 2 * 32 }, (_, i) => Math.sin(i / 3)), shape: [5, 2, 32] };
    writeNpy(join(dir, 'x.npy'), x);

    const info = ecgx('model', 'info', join(dir, 'm.onnx'));
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /ecg {2}\[batch, 2, 32\] {2}float32/);
    assert.match(info.stdout, /residual blocks: block1, block2/);
    assert.match(info.stdout, /block2 +block +\[batch, 6, 8\]/);
    const json = JSON.parse(ecgx('model', 'info', join(dir, 'm.onnx'), '--json').stdout) as { blocks: string[]; parameters: number };
    assert.deepEqual(json.blocks, ['block1', 'block2']);
    assert.ok(json.parameters > 0);

    const out = join(dir, 'out');
    const run = ecgx('model', 'run', join(dir, 'm.onnx'), '--input', join(dir, 'x.npy'), '--outputs', 'probs,block2', '--batch-size', '2', '--out', out);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(readdirSync(out).sort(), ['.ecgx', 'block2.npy', 'probs.npy', 'run.json']);
    const s = await OnnxSession.create(model, { extraOutputs: ['block2'] });
    const want = await s.run({ ecg: x });
    await s.release();
    assert.deepEqual(readNpy(join(out, 'probs.npy')), want['probs']);
    assert.deepEqual(readNpy(join(out, 'block2.npy')), want['block2']);
    const cfg = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { outputs: { name: string; file: string }[]; versions: Record<string, string> };
    assert.deepEqual(cfg.outputs.map((o) => o.file), ['probs.npy', 'block2.npy']);
    assert.ok(cfg.versions['onnxruntime'] && cfg.versions['ecgx']);

    const dflt = ecgx('model', 'run', join(dir, 'm.onnx'), '--input', join(dir, 'x.npy'), '--out', join(dir, 'out2'));
    assert.equal(dflt.code, 0, dflt.stderr);
    assert.deepEqual(readdirSync(join(dir, 'out2')).sort(), ['.ecgx', 'logits.npy', 'probs.npy', 'run.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cli: bad model input, unknown output or a wrong file give one line, a non-zero exit and no output', { skip: !existsSync(CLI) && 'CLI not built (npm run build)' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecgx-model-'));
  try {
    saveModel(join(dir, 'm.onnx'), resnet1d(OPTS));
    writeNpy(join(dir, 'wrong.npy'), { data: new Float32Array(3 * 32), shape: [1, 3, 32] });
    writeNpy(join(dir, 'x.npy'), { data: new Float32Array(2 * 32), shape: [1, 2, 32] });
    writeFileSync(join(dir, 'junk.onnx'), 'not a model');
    const out = join(dir, 'out');
    const cases: [string[], RegExp][] = [
      [['model', 'run', join(dir, 'm.onnx'), '--input', join(dir, 'wrong.npy'), '--out', out], /--input: .*wrong\.npy has shape \[1, 3, 32\], expected \[batch, 2, 32\]/],
      [['model', 'run', join(dir, 'm.onnx'), '--input', join(dir, 'x.npy'), '--outputs', 'logits,block7', '--out', out], /--outputs: .*has no tensor 'block7'/],
      [['model', 'run', join(dir, 'm.onnx'), '--input', join(dir, 'm.onnx'), '--out', out], /m\.onnx: not a \.npy file/],
      [['model', 'run', join(dir, 'm.onnx'), '--input', join(dir, 'x.npy'), '--batch-size', '0', '--out', out], /--batch-size: expected 1 to 4096, got 0/],
      [['model', 'run', join(dir, 'm.onnx'), '--input', join(dir, 'x.npy')], /--out: is required/],
      [['model', 'info', join(dir, 'junk.onnx')], /junk\.onnx: not an ONNX model/],
      [['model', 'info', join(dir, 'missing.onnx')], /missing\.onnx: cannot read: no such file or folder \(ENOENT\)/],
      [['model', 'frobnicate'], /unknown subcommand 'frobnicate'/],
    ];
    for (const [args, re] of cases) {
      const r = ecgx(...args);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.equal(existsSync(out), false, `${args.join(' ')} left output behind`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cli: tensor names become safe file names', () => {
  assert.equal(sanitizeTensorName('/layer4/relu_1/Relu_output_0'), 'layer4_relu_1_Relu_output_0');
  assert.equal(sanitizeTensorName('onnx::Conv_112'), 'onnx__Conv_112');
  assert.equal(sanitizeTensorName('block3'), 'block3');
  assert.equal(sanitizeTensorName('../x'), 'x');
  assert.equal(sanitizeTensorName('///'), 'tensor');
});
