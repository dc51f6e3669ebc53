/** Which intermediate tensor a layer-wise method (Grad-CAM) looks at. */
import { ModelError, OptionError } from '../util/errors.js';
import type { ExplainModel } from './model.js';
import type { ModelProto } from '../engine/onnx/proto.js';
import { GRADIENT_RULES, NON_DIFFERENTIABLE } from '../engine/autodiff/index.js';

/**
 * True when `to` depends on `from` through inputs that carry a gradient
 * (ONNX nodes are in topological order, so one forward sweep suffices).
 * Without such a path the gradient of `to` at `from` is zero everywhere.
 */
export function hasDifferentiablePath(model: ModelProto, from: string, to: string): boolean {
  const reached = new Set([from]);
  for (const n of model.graph?.node ?? []) {
    const op = n.opType ?? '';
    if (NON_DIFFERENTIABLE.has(op)) continue;
    const ins = n.input ?? [];
    const slots = GRADIENT_RULES[op]?.differentiable ?? ins.map((_, i) => i);
    if (slots.some((i) => reached.has(ins[i] ?? ''))) for (const o of n.output ?? []) if (o) reached.add(o);
  }
  return reached.has(to);
}

/**
 * `layer` if it names a [batch, channels, time] tensor of the model
 * (`ecgx model info` lists them), else the card's Grad-CAM layer, else the
 * last residual block's output.
 */
export function resolveLayer(model: ExplainModel, layer: unknown, option = 'layer'): string {
  const names = model.info.explainable.map((e) => e.name);
  if (layer === undefined && model.card?.layers.gradcam !== undefined) return resolveLayer(model, model.card.layers.gradcam, option);
  if (layer === undefined) {
    const last = model.info.blocks.at(-1);
    if (last === undefined) throw new ModelError(`${model.file}: no residual block found to explain at; give a layer (e.g. ${names.slice(-3).join(', ') || 'a [batch, channels, time] tensor'})`);
    return last;
  }
  if (typeof layer !== 'string' || !names.includes(layer)) {
    const blocks = model.info.blocks;
    const hint = blocks.length ? `residual blocks: ${blocks.join(', ')}` : `e.g. ${names.slice(-5).join(', ')}`;
    throw new OptionError(option, `${JSON.stringify(layer)} is not a [batch, channels, time] tensor of the model (${hint}; 'ecgx model info' lists all)`);
  }
  if (!hasDifferentiablePath(model.proto, layer, model.output)) {
    throw new OptionError(option, `'${layer}' has no differentiable path to the output '${model.output}' (its gradient is zero; pick a layer the output depends on, e.g. ${model.info.blocks.at(-1) ?? names.at(-1)})`);
  }
  return layer;
}
