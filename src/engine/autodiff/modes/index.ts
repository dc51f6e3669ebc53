/**
 * Modified-gradient modes: the same reverse pass over the same ONNX graph,
 * with some ops' backward steps replaced (a mode is a rule table overlay,
 * not a second engine). Each mode names the ops it changes; every other op
 * keeps its ordinary gradient rule.
 *
 * - guided:   guided backpropagation (Springenberg et al. 2015): Relu passes
 *             only positive gradients where its input was positive.
 * - deeplift: DeepLIFT's rescale rule (Shrikumar et al. 2017) as captum does
 *             it: the batch holds [inputs; references]; unary nonlinearities
 *             and MaxPool use multipliers Δout/Δin between the two halves.
 * - lrp:      layer-wise relevance propagation (Bach et al. 2015): the pass
 *             carries relevance; layers use the ε or z+ rule, activations pass
 *             relevance through, BatchNormalization after a Conv/Gemm is
 *             folded into it.
 */
import type { GraphProto, NodeProto } from '../../onnx/proto.js';
import type { Emitter } from '../emitter.js';
import type { Rule } from '../rule.js';
import { guidedMode } from './guided.js';
import { deepliftMode } from './deeplift.js';
import { lrpMode } from './lrp.js';

export type LrpRule = 'epsilon' | 'zplus';

export type GradientModification =
  | { kind: 'guided' }
  | { kind: 'deeplift'; /** |Δin| below which the ordinary gradient is used (captum: 1e-10). */ eps?: number }
  | {
      kind: 'lrp';
      /** 'epsilon': every layer; 'zplus': z+ (alpha 1, beta 0) on weighted layers except those reading the input, which keep ε. */
      rule: LrpRule;
      /** Stabiliser ε of the denominators z + ε·sign(z) (captum's default: 1e-9). */
      epsilon?: number;
    };

/** A mode prepared for one graph: rules by node, and how the seed enters. */
export interface PreparedMode {
  /** The rule this node uses (given the ordinary one), or undefined to keep the ordinary rule. */
  rule(node: NodeProto, ordinary: Rule | undefined): Rule | undefined;
  /** The seed of `of` as the pass starts (LRP starts from the output value itself). */
  seed?(e: Emitter, of: string, seed: string): string;
}

export function prepareMode(mod: GradientModification, graph: GraphProto): PreparedMode {
  switch (mod.kind) {
    case 'guided':
      return guidedMode();
    case 'deeplift':
      return deepliftMode(mod.eps ?? 1e-10);
    case 'lrp':
      return lrpMode(graph, mod.rule, mod.epsilon ?? 1e-9);
  }
}
