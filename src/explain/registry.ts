/**
 * Explainers by name: every method, listed here once. The list is static, so
 * the registry is complete whatever a program imports; a method is added by
 * writing its ExplainerFactory (one file) and one line below.
 */
import { OptionError } from '../util/errors.js';
import type { ModelProto } from '../engine/onnx/proto.js';
import type { CardedModel } from '../models/predict.js';
import type { Explainer, ExplainerFactory } from './protocol.js';
import { gradcam } from './gradcam.js';
import { saliency } from './saliency.js';
import { inputXGradient } from './input-x-gradient.js';
import { smoothgrad } from './smoothgrad.js';
import { integratedGradients } from './integrated-gradients.js';
import { occlusion } from './occlusion.js';
import { TLC_EXPLAINER } from './tlc-explainer.js';
import { deeplift } from './deeplift.js';
import { deepliftShap } from './deeplift-shap.js';
import { gradientShap } from './gradient-shap.js';
import { guidedBackprop } from './guided-backprop.js';
import { guidedGradcam } from './guided-gradcam.js';
import { lrp } from './lrp.js';
import { shapWaves } from './shap-waves.js';
import { lime } from './lime.js';
import { tcav } from './tcav.js';

const FACTORIES: readonly ExplainerFactory[] = [
  gradcam, saliency, inputXGradient, smoothgrad, integratedGradients, occlusion, TLC_EXPLAINER,
  deeplift, deepliftShap, gradientShap, guidedBackprop, guidedGradcam, lrp, shapWaves, lime, tcav,
];

/** Registered methods, by name, in this order. */
export const EXPLAINERS: ReadonlyMap<string, ExplainerFactory> = new Map(FACTORIES.map((f) => [f.name, f]));

/** Short names accepted wherever a method is named (CLI, API). */
export const METHOD_ALIASES: Readonly<Record<string, string>> = { ig: 'integrated-gradients' };

export function explainerNames(): string[] {
  return [...EXPLAINERS.keys()];
}

/** The factory of a method (or alias); an OptionError naming the registered methods if there is none. */
export function explainerFactory(name: string, field = 'method'): ExplainerFactory {
  const f = EXPLAINERS.get(METHOD_ALIASES[name] ?? name);
  if (!f) throw new OptionError(field, `unknown explainer '${name}' (expected one of ${explainerNames().join(', ')}; aliases: ${Object.entries(METHOD_ALIASES).map(([a, m]) => `${a} = ${m}`).join(', ')})`);
  return f;
}

export async function createExplainer(name: string, model: ModelProto | string | CardedModel, opts: Record<string, unknown> = {}): Promise<Explainer> {
  return explainerFactory(name).create(model, opts);
}
