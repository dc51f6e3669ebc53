/**
 * Appends a multi-label BCE-with-logits loss to a model for the engine bench:
 * loss = mean over batch and classes of softplus(z) - z * y, which equals
 * PyTorch's binary_cross_entropy_with_logits(z, y) (mean reduction).
 * (Files starting with '_' in bench/ are helpers, not benchmarks.)
 */
import { makeNode, makeValueInfo, valueInfoDims, type ModelProto } from '../src/engine/onnx/proto.js';

export function withBceLoss(model: ModelProto, logits = 'logits'): { model: ModelProto; loss: string; targets: string } {
  const g = model.graph!;
  const out = (g.output ?? []).find((o) => o.name === logits);
  if (!out) throw new Error(`withBceLoss: the model has no output '${logits}'`);
  const targets = 'bce.targets';
  const loss = 'bce.loss';
  const nodes = [
    makeNode('Softplus', [logits], ['bce.softplus']),
    makeNode('Mul', [logits, targets], ['bce.zy']),
    makeNode('Sub', ['bce.softplus', 'bce.zy'], ['bce.terms']),
    makeNode('ReduceMean', ['bce.terms'], [loss], { keepdims: 0 }),
  ];
  return {
    model: {
      ...model,
      graph: {
        ...g,
        node: [...(g.node ?? []), ...nodes],
        input: [...(g.input ?? []), makeValueInfo(targets, valueInfoDims(out))],
        output: [...(g.output ?? []), makeValueInfo(loss, [])],
      },
    },
    loss,
    targets,
  };
}
