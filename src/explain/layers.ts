/** Which intermediate tensor a layer-wise method (Grad-CAM) looks at. */
import { ModelError, OptionError } from '../util/errors.js';
import type { ExplainModel } from './model.js';

/**
 * `layer` if it names a [batch, channels, time] tensor of the model
 * (`ecgx model info` lists them), else the last residual block's output.
 */
export function resolveLayer(model: ExplainModel, layer: unknown, option = 'layer'): string {
  const names = model.info.explainable.map((e) => e.name);
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
  return layer;
}
