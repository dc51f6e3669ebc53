/**
 * Predictions of a checkpoint on ECGs, preprocessed as the checkpoint says
 * (metadata `ecgx.preprocess`), with its class names and task.
 */
import type { Ecg } from '../data/ecg.js';
import { preprocess, type PreprocessSpec } from '../data/preprocess/index.js';
import { loadModel, type ModelProto } from '../engine/onnx/proto.js';
import { OnnxSession } from '../engine/runtime.js';
import { readModelMeta, type ModelTask } from '../models/meta.js';
import { DataError, EcgxError, FormatError } from '../util/errors.js';
import { PREPROCESS_META_KEY } from './run.js';

export interface Prediction {
  id: string;
  /** Class name -> probability (classification), or output name -> value in original units (regression). */
  values: Record<string, number>;
}

export interface Predictor {
  task: ModelTask;
  classes: string[];
  spec: PreprocessSpec;
  predict(ecgs: Ecg[]): Promise<Prediction[]>;
  release(): Promise<void>;
}

/** Opens a checkpoint written by ecgx train (or any model with the same metadata). */
export async function openPredictor(model: string | ModelProto, opts: { threads?: number } = {}): Promise<Predictor> {
  const file = typeof model === 'string' ? model : '<model>';
  const proto = typeof model === 'string' ? loadModel(model) : model;
  const meta = readModelMeta(proto, file);
  const raw = (proto.metadataProps ?? []).find((p) => p.key === PREPROCESS_META_KEY)?.value;
  if (!raw) throw new FormatError(file, `no '${PREPROCESS_META_KEY}' metadata (expected a checkpoint written by ecgx train)`, { field: PREPROCESS_META_KEY });
  let spec: PreprocessSpec;
  try {
    spec = JSON.parse(raw) as PreprocessSpec;
  } catch {
    throw new FormatError(file, `metadata '${PREPROCESS_META_KEY}' is not JSON`, { field: PREPROCESS_META_KEY });
  }
  const task = meta.task ?? 'multilabel';
  const session = await OnnxSession.create(proto, opts.threads !== undefined ? { threads: opts.threads } : {});
  const output = task === 'regression' || !session.outputNames.includes('probs') ? 'logits' : 'probs';
  const k = meta.classNames?.length;
  const classes = meta.classNames ?? [];
  return {
    task,
    classes,
    spec,
    async predict(ecgs) {
      if (ecgs.length === 0) return [];
      const tensors = ecgs.map((e) => {
        try {
          return preprocess(e, spec).signal;
        } catch (err) {
          if (err instanceof EcgxError) throw new DataError(`record ${e.meta.recordId}: ${err.message}`);
          throw err;
        }
      });
      const per = tensors[0]!.length;
      const x = new Float32Array(per * ecgs.length);
      tensors.forEach((t, i) => x.set(t, i * per));
      const leads = spec.leads?.length ?? ecgs[0]!.leads.length;
      const out = (await session.run({ ecg: { data: x, shape: [ecgs.length, leads, per / leads] } }, { outputs: [output] }))[output]!;
      const width = out.shape[1] ?? 1;
      const names = k === width ? classes : Array.from({ length: width }, (_, j) => `output${j}`);
      return ecgs.map((e, i) => ({ id: e.meta.recordId, values: Object.fromEntries(names.map((c, j) => [c, out.data[i * width + j]!])) }));
    },
    release: () => session.release(),
  };
}
