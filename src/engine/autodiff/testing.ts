/** Small-graph helpers for the autodiff tests and benchmarks: one-op models and seeded random arrays. */
import type { NdArray } from '../../util/npy.js';
import { Rng } from '../../util/rng.js';
import { makeFloatTensor, makeNode, makeValueInfo, type AttrValue, type ModelProto, type NodeProto, type TensorProto } from '../onnx/proto.js';

export function randomArray(shape: number[], seed: number, o: { scale?: number; awayFromZero?: number } = {}): NdArray {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = rng.normal() * (o.scale ?? 1);
    // Keep samples off kinks (Relu at 0, MaxPool near-ties) by more than the FD step.
    if (o.awayFromZero) v = Math.sign(v || 1) * (Math.abs(v) + o.awayFromZero);
    data[i] = v;
  }
  return { data, shape };
}

/** Distinct values (a shuffled ramp plus jitter), so that max-pool winners are separated by > `gap`. */
export function distinctArray(shape: number[], seed: number, gap = 0.05): NdArray {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[order[i]!] = (i - n / 2) * gap * 2;
  return { data, shape };
}

export interface GraphSpec {
  nodes: NodeProto[];
  inputs: { name: string; shape: (number | string)[] }[];
  outputs: { name: string; shape: (number | string)[] }[];
  initializers?: TensorProto[];
  opset?: number;
}

export function graphModel(spec: GraphSpec): ModelProto {
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: spec.opset ?? 17 }],
    graph: {
      name: 'test',
      node: spec.nodes,
      initializer: spec.initializers ?? [],
      input: spec.inputs.map((i) => makeValueInfo(i.name, i.shape)),
      output: spec.outputs.map((o) => makeValueInfo(o.name, o.shape)),
    },
  };
}

/** A model with one node `op(inputs) -> y`; inputs given as arrays become graph inputs, `params` initializers. */
export function opModel(op: string, inputs: Record<string, NdArray>, attrs: Record<string, AttrValue>, yShape: (number | string)[], params: Record<string, NdArray> = {}, extraInputs: string[] = []): ModelProto {
  return graphModel({
    nodes: [makeNode(op, [...Object.keys(inputs), ...Object.keys(params), ...extraInputs], ['y'], attrs)],
    inputs: Object.entries(inputs).map(([name, a]) => ({ name, shape: a.shape })),
    outputs: [{ name: 'y', shape: yShape }],
    initializers: Object.entries(params).map(([name, a]) => makeFloatTensor(name, a.shape, a.data)),
  });
}
