/**
 * What a gradient rule sees and returns. One rule per ONNX op (or op family),
 * registered in rules/index.ts.
 */
import { ModelError } from '../../util/errors.js';
import type { NodeProto } from '../onnx/proto.js';
import type { Emitter } from './emitter.js';
import type { ShapeInfo } from '../onnx/shapes.js';

export type GradMode = 'inference' | 'training';

/** Side outputs and inputs that training-mode rewrites add to the graph (documented in gradientGraphInfo). */
export interface TrainingIo {
  /** mean/var: graph outputs [C], the batch mean and biased variance; running averages: running = momentum * running + (1 - momentum) * batch (ONNX convention). */
  batchNorm: { node: string; input: string; mean: string; var: string; runningMean: string; runningVar: string; momentum: number }[];
  /** mask: graph input shaped like `input` (the Dropout's input tensor), 0 or 1/(1 - ratio). */
  dropout: { node: string; input: string; mask: string; ratio: number }[];
}

export interface ForwardContext {
  node: NodeProto;
  e: Emitter;
  info: ShapeInfo;
  mode: GradMode;
  training: TrainingIo;
  /** True when this node lies on a path from a `wrt` tensor to `of`. */
  onPath: boolean;
  /** Per-node memo a rule's forward step leaves for its backward step. */
  saved: Map<string, unknown>;
}

export interface BackwardContext extends ForwardContext {
  /** Name of input i ('' if absent). */
  x(i: number): string;
  /** Name of output i. */
  y(i: number): string;
  /** Gradient of output i, or undefined when none flows into it. */
  dy(i?: number): string | undefined;
  /** Whether input i needs a gradient (it lies on a path from a wrt tensor). */
  wants(i: number): boolean;
}

export interface Rule {
  /** Input slots gradients can flow through (default: all). Shape/axes/index inputs are not. */
  differentiable?: readonly number[];
  /**
   * Emits the forward form of the node (default: the node as is). Used to add
   * outputs the backward step needs (MaxPool indices) and for training forms.
   */
  forward?(ctx: ForwardContext): void;
  /** Emits the gradients of the inputs (undefined for inputs that need none). */
  backward(ctx: BackwardContext): (string | undefined)[];
}

export function nodeLabel(node: NodeProto): string {
  return `${node.opType ?? '?'} node '${node.name || (node.output ?? [])[0] || '?'}'`;
}

export function unsupported(node: NodeProto, what: string): never {
  throw new ModelError(`autodiff: ${nodeLabel(node)}: ${what}`);
}
