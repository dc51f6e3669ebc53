/** Models with known attributions, for the explain tests (not part of the public API). */
import { GraphBuilder } from '../engine/onnx/builder.js';
import type { ModelProto } from '../engine/onnx/proto.js';
import { withModelMeta, type ModelTask } from '../models/meta.js';

/**
 * F(x) = W · flatten(x) + bias: `weights` is [outputs][leads * time]. Every
 * attribution of a linear model has a closed form (saliency = W, IG with
 * baseline x' = W (x - x'), occlusion = W x over the window, ...).
 */
export function linearModel(weights: number[][], leads: number, time: number, o: { task?: ModelTask; bias?: number[]; classNames?: string[] } = {}): ModelProto {
  const g = new GraphBuilder({ seed: 1, name: 'linear' });
  const x = g.input('ecg', ['batch', leads, time]);
  const flat = g.flatten(x);
  const K = weights.length;
  const w = g.constant('linear.weight', [K, leads * time], Float32Array.from(weights.flat()));
  const b = g.constant('linear.bias', [K], Float32Array.from(o.bias ?? Array<number>(K).fill(0)));
  g.output(g.op('Gemm', [flat, w, b], ['batch', K], { transB: 1 }), 'logits');
  return withModelMeta(g.build(), { task: o.task ?? (K === 1 ? 'regression' : 'multilabel'), ...(o.classNames ? { classNames: o.classNames } : {}) });
}
