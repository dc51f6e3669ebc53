/**
 * TLC behind the Explainer protocol, registered as 'tlc'.
 *
 * TLC is class-agnostic: it segments each ECG by what the model's last
 * blocks represent, whatever the output. So:
 * - values [batch, 1, time] are the normalised entropy H_t in [0, 1] of one
 *   clustered group (option `group`: a layer name or index; default the last
 *   group, i.e. the deepest block), at input resolution: where the model's
 *   representation is uncertain between clusters;
 * - meta.clusters[b] is the cluster per input sample of ECG b, meta.segments[b]
 *   its runs, meta.proportions[b] the fraction of time per cluster;
 * - `target` is resolved and reported as for every method (class index or
 *   name, 'predicted' from the outputs of the same run, 'regression') and
 *   checked, but the values do not depend on it. Views that compare methods
 *   per class show the same TLC map for every class.
 *
 * The fitted TLC is given at create(): `{ tlc: FittedTlc | its JSON | path }`,
 * or `{ fit: { x, fs, options? } }` to fit it there on the ECGs x (seeded,
 * independent of the batches explained later).
 */
import { resolve } from 'node:path';
import { loadModel, type ModelProto } from '../engine/onnx/proto.js';
import type { CardedModel } from '../models/predict.js';
import { OptionError } from '../util/errors.js';
import type { NdArray } from '../util/npy.js';
import { ExplainModel } from './model.js';
import { MethodOptions, checkOptionNames, mergeOptions, type OptionDecl } from './options.js';
import type { Attribution, ExplainBatch, Explainer, ExplainerFactory, ExplainOptions } from './protocol.js';
import { FittedTlc, fitTlc, type TlcOptions } from './tlc/fit.js';
import { TlcPipeline } from './tlc/pipeline.js';

const OPTIONS: readonly OptionDecl[] = [
  { name: 'tlc', kind: 'text', required: true, help: "a fitted TLC: the JSON file written by 'ecgx tlc fit' (required with --method tlc)", fromText: (t) => resolve(t) },
  { name: 'fit', kind: 'text', help: 'fit the TLC at creation on { x, fs, options } (API only)', cli: false },
  { name: 'group', kind: 'text', defaultText: 'the last (deepest) group', help: 'the clustered layer whose entropy is the attribution: a name or index' },
];

function tlcOption(raw: unknown): FittedTlc {
  if (raw instanceof FittedTlc) return raw;
  if (typeof raw === 'string') return FittedTlc.load(raw);
  if (raw && typeof raw === 'object') return FittedTlc.fromJSON(raw, 'tlc.tlc');
  throw new OptionError('tlc.tlc', 'expected a fitted TLC (FittedTlc, its JSON, or the path of a file written by ecgx tlc fit), or give tlc.fit');
}

export class TlcExplainer implements Explainer {
  readonly name = 'tlc';
  private constructor(
    private readonly model: ExplainModel,
    private readonly pipeline: TlcPipeline,
    private readonly fixed: Record<string, unknown>,
  ) {}

  static async create(model: ModelProto | string | CardedModel, opts: Record<string, unknown> = {}): Promise<TlcExplainer> {
    checkOptionNames('tlc', opts, OPTIONS);
    const carded = typeof model === 'object' && 'card' in model ? model : undefined;
    const proto = carded ? carded.proto : typeof model === 'string' ? loadModel(model) : (model as ModelProto);
    const threads = typeof opts['threads'] === 'number' ? opts['threads'] : undefined;
    let tlc: FittedTlc;
    if (opts['fit'] !== undefined) {
      if (opts['tlc'] !== undefined) throw new OptionError('tlc.fit', 'give either tlc or fit, not both');
      const f = opts['fit'] as { x?: NdArray; fs?: number; options?: TlcOptions };
      if (!f || !f.x || typeof f.fs !== 'number') throw new OptionError('tlc.fit', 'expected { x: [N, leads, time] ECGs, fs: Hz, options?: TlcOptions }');
      tlc = await fitTlc(proto, { x: f.x, fs: f.fs }, f.options ?? {}, { progress: false, ...(threads !== undefined ? { threads } : {}) });
    } else {
      tlc = tlcOption(opts['tlc']);
    }
    const pipeline = await TlcPipeline.open(proto, tlc, threads !== undefined ? { threads } : {});
    const em = new ExplainModel(carded ?? (typeof model === 'string' ? model : proto), threads !== undefined ? { threads } : {});
    const fixed = { ...opts };
    delete fixed['tlc'];
    delete fixed['fit'];
    return new TlcExplainer(em, pipeline, fixed);
  }

  get tlc(): FittedTlc {
    return this.pipeline.tlc;
  }

  async explain(batch: ExplainBatch, call: ExplainOptions): Promise<Attribution> {
    const t0 = performance.now();
    const opts = new MethodOptions('tlc', mergeOptions(this.fixed, call), OPTIONS);
    opts.int('seed'); // TLC draws nothing at explain time; accepted for the protocol
    const names = this.tlc.groupNames;
    const rawGroup = opts.raw('group');
    const g = rawGroup === undefined ? names.length - 1 : typeof rawGroup === 'number' ? rawGroup : names.indexOf(String(rawGroup));
    if (!(Number.isInteger(g) && g >= 0 && g < names.length)) throw new OptionError('tlc.group', `expected one of ${names.join(', ')} or an index 0..${names.length - 1}, got ${JSON.stringify(rawGroup)}`);
    opts.record('group', names[g]);
    const { n, time } = this.model.checkBatch(batch.x);
    const fs = batch.fs ?? this.tlc.model.fs ?? 1;
    const r = await this.pipeline.explainBatch(batch.x, fs);
    const width = this.model.width;
    const scores = new Float32Array(n * width);
    r.outputs.forEach((o, b) => scores.set(o[this.model.output]!, b * width));
    const target = this.model.resolveTarget(call.target, n, { data: scores, shape: [n, width] });
    const values = new Float32Array(n * time);
    const clusters: number[][] = [], segments: unknown[] = [], proportions: number[][] = [];
    r.explanations.forEach((e, b) => {
      const grp = e.groups[g]!;
      values.set(grp.sequence.entropy, b * time);
      clusters.push(Array.from(grp.sequence.labels));
      segments.push(grp.segments.map((s) => ({ start: s.start, end: s.end, cluster: s.cluster, meanEntropy: s.meanEntropy })));
      proportions.push(Array.from(grp.proportions));
    });
    return {
      method: 'tlc',
      values: { data: values, shape: [n, 1, time] },
      target,
      options: { ...opts.effective(), k: this.tlc.k, layers: this.tlc.layers.map((l) => l.name) },
      timing: { ms: performance.now() - t0 },
      meta: { group: names[g], k: this.tlc.k, clusters, segments, proportions, classAgnostic: true },
    };
  }

  async release(): Promise<void> {
    await this.pipeline.release();
    await this.model.release();
  }
}

export const TLC_EXPLAINER: ExplainerFactory = {
  name: 'tlc',
  options: OPTIONS,
  summary: 'time-localized clusters: entropy of the cluster assignment per timestamp (class-agnostic; clusters in meta); needs tlc=TLC.json',
  perInputMeta: ['clusters', 'segments', 'proportions'],
  create: (model, opts = {}) => TlcExplainer.create(model, opts),
  classAgnostic: true,
  conformance: ({ x, fs }) => ({ fit: { x, fs, options: { k: 3, seed: 0, maxSamples: 2000 } } }),
};

