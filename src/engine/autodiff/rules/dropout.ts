/**
 * Dropout. Inference: the identity. Training: y = x * mask, where the mask is
 * a graph input `dropout_mask_<Y>` shaped like x holding 0 or 1/(1 - ratio)
 * (already scaled), drawn by the trainer from a seeded Rng.
 */
import { DType, getFloatAttr } from '../../onnx/proto.js';
import { sanitizeName } from '../names.js';
import type { Rule } from '../rule.js';

export const DROPOUT_RULE: Rule = {
  differentiable: [0],
  forward(c) {
    const { e, node } = c;
    const [x, ratioIn] = node.input ?? [];
    const [y, maskOut] = node.output ?? [];
    if (c.mode !== 'training') {
      // Inference: the node is the identity unless a training_mode input says otherwise; then force the identity.
      if (!node.input?.[2]) return e.push(node);
      e.add('Identity', [x!], {}, { outputs: [y!] });
      if (maskOut) e.add('ConstantOfShape', [e.shapeOf(x!)], { value: { name: '', dims: [1], dataType: DType.BOOL, rawData: new Uint8Array([1]) } }, { outputs: [maskOut] });
      return;
    }
    const ratio = ratioIn ? c.info.scalars.get(ratioIn) ?? 0.5 : getFloatAttr(node, 'ratio', 0.5);
    const mask = e.fresh(`dropout_mask_${sanitizeName(y!)}`);
    c.info.set(mask, c.info.shape(x!) ? [...c.info.shape(x!)!] : undefined, DType.FLOAT);
    e.add('Mul', [x!, mask], {}, { outputs: [y!] });
    if (maskOut) e.add('Greater', [mask, e.scalar(0)], {}, { outputs: [maskOut] });
    c.training.dropout.push({ node: node.name ?? y!, input: x!, mask, ratio });
    c.saved.set('mask', mask);
  },
  backward(c) {
    const dy = c.dy();
    if (!dy || !c.wants(0)) return [];
    const mask = c.saved.get('mask') as string | undefined;
    return [mask ? c.e.mul(dy, mask) : dy];
  },
};
