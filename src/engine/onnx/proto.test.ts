import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeModel, encodeModel, getAttr, makeFloatTensor, makeInt64Tensor, makeNode, makeValueInfo, tensorFloat32, tensorInts, valueInfoDims, opsetVersion } from './proto.js';
import { FormatError } from '../../util/errors.js';

test('onnx proto: a model with nodes, attributes and initializers survives encode/decode', () => {
  const model = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'g',
      node: [makeNode('Conv', ['x', 'w'], ['y'], { kernel_shape: [3], pads: [1, 1], strides: [2], alpha: 0.5, mode: 'constant' })],
      initializer: [makeFloatTensor('w', [2, 1, 3], [1, 2, 3, 4, 5, 6.5]), makeInt64Tensor('shape', [2], [-1, 12])],
      input: [makeValueInfo('x', ['batch', 1, 100])],
      output: [makeValueInfo('y', ['batch', 2, 50])],
    },
  };
  const back = decodeModel(encodeModel(model));
  assert.equal(opsetVersion(back), 17);
  const node = back.graph!.node![0]!;
  assert.deepEqual(getAttr(node, 'kernel_shape'), [3]);
  assert.deepEqual(getAttr(node, 'pads'), [1, 1]);
  assert.equal(getAttr(node, 'alpha'), 0.5);
  assert.equal(getAttr(node, 'mode'), 'constant');
  assert.deepEqual(Array.from(tensorFloat32(back.graph!.initializer![0]!)), [1, 2, 3, 4, 5, 6.5]);
  assert.deepEqual(tensorInts(back.graph!.initializer![1]!), [-1, 12]);
  assert.deepEqual(valueInfoDims(back.graph!.input![0]!), ['batch', 1, 100]);
});

test('onnx proto: garbage bytes are a FormatError naming the file', () => {
  assert.throws(() => decodeModel(new Uint8Array([0xff, 0xff, 0xff, 0x01, 0x02]), 'bad.onnx'), (e: unknown) => e instanceof FormatError && e.message.startsWith('bad.onnx'));
});

test('onnx proto: an initializer whose data contradicts its shape is a one-line FormatError naming the tensor', () => {
  const model = (init: ReturnType<typeof makeFloatTensor>) => ({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'g', node: [makeNode('Add', ['x', init.name!], ['y'])], initializer: [init], input: [makeValueInfo('x', [2, 3])], output: [makeValueInfo('y', [2, 3])] },
  });
  const ok = makeFloatTensor('bias', [2, 3], [1, 2, 3, 4, 5, 6]);
  assert.equal(decodeModel(encodeModel(model(ok)), 'ok.onnx').graph!.initializer!.length, 1);
  const check = (t: ReturnType<typeof makeFloatTensor>, re: RegExp): void => {
    assert.throws(
      () => decodeModel(encodeModel(model(t)), 'bad.onnx'),
      (e: unknown) => e instanceof FormatError && e.file === 'bad.onnx' && e.field === "initializer 'bias'" && !e.message.includes('\n') && re.test(e.message),
      re.source,
    );
  };
  // 5 floats (20 bytes) stored for a [2, 3] shape that needs 24 bytes.
  check({ ...ok, rawData: ok.rawData!.subarray(0, 20) }, /^bad\.onnx \(initializer 'bias'\): holds 20 bytes of raw data, its shape \[2, 3\] of float32 needs 24/);
  check({ ...ok, dims: [2, 4] }, /holds 24 bytes of raw data, its shape \[2, 4\] of float32 needs 32/);
  check({ name: 'bias', dims: [2, 3], dataType: 1, floatData: [1, 2, 3] }, /holds 3 value\(s\), its shape \[2, 3\] of float32 needs 6/);
  check({ ...makeInt64Tensor('bias', [3], [1, 2, 3]), dims: [4] }, /holds 24 bytes of raw data, its shape \[4\] of int64 needs 32/);
  check({ ...ok, dims: [2, -3] }, /shape \[2, -3\] has a negative or non-integer dimension/);
});
