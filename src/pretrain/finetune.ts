/**
 * Fine-tuning a pretrained encoder on a labelled task, beside the same
 * architecture from random initialisation: the zoo classifier of the
 * encoder's trunk spec, whose trunk (every initializer the encoder has with
 * the same name and shape: convolutions, BN scales and running statistics)
 * is copied from the encoder; the classification head starts fresh.
 *
 * Protocol (label efficiency): one stratified split by patient (fold 1 of 5
 * is the test set), the training part subsampled to each fraction (seeded),
 * BCE with a cosine schedule for the optimizer steps of a fixed number of
 * epochs over the full training part (so a 10% subset is passed over 10x
 * as often), the last model scored by macro AUROC on the whole test set.
 */
import { openDataset } from '../data/datasets/registry.js';
import { stratifiedFolds } from '../data/datasets/folds.js';
import { loadModel, tensorDims, tensorFloat32, type ModelProto } from '../engine/onnx/proto.js';
import { buildModel, parseModelSpec, withModelMeta } from '../models/index.js';
import { Trainer } from '../train/trainer.js';
import { withInitializers } from '../train/graph.js';
import { learningRate } from '../train/optimizer.js';
import { batches, EcgTensorSource } from '../train/loader.js';
import { resolveTask } from '../train/task.js';
import { evaluateModel } from '../train/run.js';
import { FormatError, OptionError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { encoderCard } from './embed.js';
import { PRETRAIN_META_KEY } from './run.js';
import type { ProbeRow } from './probe.js';

export interface FineTuneOptions {
  task?: string;
  labels?: string[];
  fractions?: number[];
  epochs?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  maxRecords?: number;
  threads?: number;
  /** Also fine-tune the same architecture from random initialisation (default true). */
  baseline?: boolean;
  log?: (line: string) => void;
}

/** `model` with every initializer that `encoder` has under the same name and shape copied in; returns the count. */
export function initFromEncoder(model: ModelProto, encoder: ModelProto): { model: ModelProto; copied: number } {
  const shapes = new Map((model.graph?.initializer ?? []).map((t) => [t.name ?? '', tensorDims(t).join('x')]));
  const values = new Map<string, Float32Array>();
  for (const t of encoder.graph?.initializer ?? []) {
    const name = t.name ?? '';
    if ((t.dataType ?? 1) === 1 && shapes.get(name) === tensorDims(t).join('x')) values.set(name, tensorFloat32(t));
  }
  return { model: withInitializers(model, values), copied: values.size };
}

/** Fine-tuning rows ('fine-tune' and, with the baseline, 'fine-tune (random init)') per label fraction. */
export async function fineTuneEncoder(encoderPath: string, dataDir: string, o: FineTuneOptions = {}): Promise<ProbeRow[]> {
  const encoder = loadModel(encoderPath);
  const card = encoderCard(encoder, encoderPath);
  const info = (encoder.metadataProps ?? []).find((p) => p.key === PRETRAIN_META_KEY)?.value;
  if (!info) throw new FormatError(encoderPath, `no '${PRETRAIN_META_KEY}' metadata (expected an encoder written by ecgx pretrain)`, { field: PRETRAIN_META_KEY });
  const modelSpec = parseModelSpec((JSON.parse(info) as { model: string }).model);
  const fractions = o.fractions ?? [1];
  const epochs = o.epochs ?? 5;
  if (!Number.isInteger(epochs) || epochs < 1) throw new OptionError('finetune', `expected a number of epochs >= 1, got ${epochs}`);
  const seed = o.seed ?? 1;
  const batchSize = o.batchSize ?? 32;
  const log = o.log ?? (() => {});
  const dataset = await openDataset(dataDir);
  let records = dataset.records();
  if (o.maxRecords !== undefined) records = records.slice(0, o.maxRecords);
  const task = resolveTask(dataset, { ...(o.task !== undefined ? { task: o.task } : {}), ...(o.labels !== undefined ? { labels: o.labels } : {}) }, records);
  if (task.task === 'regression') throw new OptionError('task', 'fine-tuning here scores classification tasks (AUROC)');
  const folds = stratifiedFolds(task.examples.map((e) => e.info), 5, seed, task.classes);
  const test = task.examples.filter((_, i) => folds[i] === 1);
  const trainAll = task.examples.filter((_, i) => folds[i] !== 1);
  const source = new EcgTensorSource(dataset, card);
  await source.fill(task.examples.map((e) => e.id));
  const k = task.classes.length;
  const rows: ProbeRow[] = [];
  const variants: [string, boolean][] = [['fine-tune', true]];
  if (o.baseline ?? true) variants.push(['fine-tune (random init)', false]);
  for (const fraction of fractions) {
    const train = fraction >= 1 ? trainAll : new Rng(seed * 7919 + 13).shuffle(trainAll.slice()).slice(0, Math.max(2, Math.round(fraction * trainAll.length)));
    for (const [name, pretrained] of variants) {
      let model = buildModel(modelSpec, { leads: card.leads.length, samples: card.length!, task: 'multilabel', outputs: k, classNames: task.classes, fs: card.fs, leadNames: card.leads, seed });
      if (pretrained) model = initFromEncoder(model, encoder).model;
      model = withModelMeta(model, { task: 'multilabel', classNames: task.classes });
      const trainer = await Trainer.create(model, { loss: { kind: 'bce' }, optimizer: { weightDecay: 0.01 }, clipNorm: 5, ...(o.threads !== undefined ? { threads: o.threads } : {}) });
      // Every fraction gets the optimizer steps of `epochs` epochs over the full training part (more passes over fewer records).
      const perEpoch = Math.max(1, Math.floor(train.length / batchSize));
      const passes = Math.ceil((epochs * Math.max(1, Math.floor(trainAll.length / batchSize))) / perEpoch);
      const schedule = { kind: 'cosine' as const, lr: o.lr ?? 1e-3, totalSteps: perEpoch * passes };
      let step = 0;
      try {
        for (let epoch = 1; epoch <= passes; epoch++) {
          const rng = new Rng(seed * 31 + epoch), dropRng = new Rng(seed * 37 + epoch);
          const items = train.map((e) => ({ id: e.id, target: e.target }));
          for await (const b of batches(source, items, { batchSize, rng, dropLast: train.length > batchSize })) {
            await trainer.step(b.x, b.y, learningRate(schedule, step++), dropRng);
          }
        }
        const m = await evaluateModel(trainer.inferenceModel(), source, test, task, o.threads);
        const auroc = m.metrics['auroc'] ?? NaN;
        log(`${name} fraction ${fraction}: ${train.length} train (${passes} passes), ${test.length} test, macro AUROC ${auroc.toFixed(4)}`);
        rows.push({ evaluation: name, fraction, nTrain: train.length, nTest: test.length, auroc, aurocSd: 0, perClass: {} });
      } finally {
        await trainer.release();
      }
    }
  }
  return rows;
}
