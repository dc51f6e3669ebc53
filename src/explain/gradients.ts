/**
 * The shared core of the gradient methods: an explainer over an ExplainModel
 * whose explain() resolves the target per ECG, runs the method and times it.
 */
import type { ModelProto } from '../engine/onnx/proto.js';
import type { CardedModel } from '../models/predict.js';
import type { NdArray } from '../util/npy.js';
import { ExplainModel } from './model.js';
import { MethodOptions, mergeOptions, type OptionDecl } from './options.js';
import type { Attribution, ExplainBatch, Explainer, ExplainOptions, ResolvedTarget } from './protocol.js';

export interface MethodRun {
  values: NdArray;
  meta?: Record<string, unknown>;
}

/** What a method's body sees once the target is resolved. */
export interface MethodContext {
  model: ExplainModel; x: NdArray; target: ResolvedTarget; opts: MethodOptions; seed: number; batchSize: number; scores?: NdArray;
  /** The batch's sampling rate and lead names, when given (methods with features in seconds or per wave need them). */
  fs?: number; leads?: string[];
}

/** What a method computes once the target is resolved. */
export type MethodBody = (ctx: MethodContext) => Promise<MethodRun>;

export class ModelExplainer implements Explainer {
  constructor(
    readonly name: string,
    readonly model: ExplainModel,
    private readonly fixed: Record<string, unknown>,
    private readonly decls: readonly OptionDecl[],
    private readonly body: MethodBody,
  ) {}

  static open(model: ModelProto | string | CardedModel, opts: Record<string, unknown>): ExplainModel {
    const threads = opts['threads'];
    const output = opts['output'];
    return new ExplainModel(model, {
      ...(typeof threads === 'number' ? { threads } : {}),
      ...(typeof output === 'string' ? { output } : {}),
    });
  }

  async explain(batch: ExplainBatch, call: ExplainOptions): Promise<Attribution> {
    const t0 = performance.now();
    const all = mergeOptions(this.fixed, call);
    const opts = new MethodOptions(this.name, all, this.decls);
    const batchSize = opts.int('batchSize');
    const seed = opts.int('seed');
    const { n } = this.model.checkBatch(batch.x);
    const scores = call.target === 'predicted' ? await this.model.scores(batch.x, batchSize) : undefined;
    const target = this.model.resolveTarget(call.target, n, scores);
    const run = await this.body({ model: this.model, x: batch.x, target, opts, seed, batchSize, ...(scores ? { scores } : {}), ...(batch.fs !== undefined ? { fs: batch.fs } : {}), ...(batch.leads ? { leads: batch.leads } : {}) });
    return {
      method: this.name,
      values: run.values,
      target,
      options: opts.effective(),
      timing: { ms: performance.now() - t0 },
      ...(run.meta ? { meta: run.meta } : {}),
    };
  }

  release(): Promise<void> {
    return this.model.release();
  }
}

/** d output[b, target_b] / d x for every ECG of x. */
export async function inputGradient(model: ExplainModel, x: NdArray, index: readonly number[], batchSize: number): Promise<NdArray> {
  const s = await model.gradients([model.input]);
  return (await s.run(x, index, batchSize)).grads[model.input]!;
}
