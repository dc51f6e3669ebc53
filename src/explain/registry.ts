/**
 * Explainers by name. Each method's file calls `registerExplainer` when it is
 * loaded, and `methods.ts` lists those files (one import line per method), so
 * importing the explain API (index.ts) makes every method available.
 */
import { OptionError } from '../util/errors.js';
import type { ModelProto } from '../engine/onnx/proto.js';
import type { Explainer, ExplainerFactory } from './protocol.js';

/** Registered methods, by name, in registration order. */
export const EXPLAINERS = new Map<string, ExplainerFactory>();

export function registerExplainer(factory: ExplainerFactory): void {
  if (EXPLAINERS.has(factory.name)) throw new Error(`explainer '${factory.name}' is registered twice`);
  EXPLAINERS.set(factory.name, factory);
}

export function explainerNames(): string[] {
  return [...EXPLAINERS.keys()];
}

/** The factory of a method; an OptionError naming the registered methods if there is none. */
export function explainerFactory(name: string, flag = 'method'): ExplainerFactory {
  const f = EXPLAINERS.get(name);
  if (!f) throw new OptionError(flag, `unknown explainer '${name}' (expected one of ${explainerNames().join(', ')})`);
  return f;
}

export async function createExplainer(name: string, model: ModelProto | string, opts: Record<string, unknown> = {}): Promise<Explainer> {
  return explainerFactory(name).create(model, opts);
}
