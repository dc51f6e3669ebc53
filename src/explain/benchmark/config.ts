/**
 * What `ecgx benchmark explainers` runs, and its two sizes: 'full' (the
 * README's leaderboard, sized for under 30 minutes on a 2-core machine) and
 * 'small' (the test's, under a minute).
 */
import { fileURLToPath } from 'node:url';
import type { NoiseSpec } from '../../data/synth/noise-snr.js';
import type { WhatIfEdit } from '../probes/what-if.js';
import { explainerNames } from '../registry.js';
import { OptionError } from '../../util/errors.js';

/** A model of the benchmark: trained by ecgx from a spec, the same spec untrained, or a carded ONNX file (e.g. a PyTorch export). */
export type BenchmarkModel =
  | { name: string; kind: 'train'; spec: string; epochs?: number; lr?: number }
  | { name: string; kind: 'untrained'; spec: string; perClass?: number }
  | { name: string; kind: 'file'; file: string; description?: string };

export interface BenchmarkConfig {
  seed: number;
  /** ECGs of the synthetic database (10 folds: fold 1 is tested, fold 2 validates, the rest train). */
  n: number;
  epochs: number;
  batchSize: number;
  lr: number;
  models: BenchmarkModel[];
  /** Classes scored (each needs planted evidence; NORM has none). */
  classes: string[];
  /** Test ECGs scored per class (the first by id among those with the class's evidence). */
  perClass: number;
  methods: string[];
  options: Record<string, Record<string, unknown>>;
  tlc: { k: number; fitEcgs: number; maxSamples: number };
  shortcut?: { label: 'MI' | 'STTC' | 'CD' | 'HYP'; fraction: number; ecgs: number; normEcgs: number };
  stability?: { noises: NoiseSpec[]; perClass: number };
  probes?: { edits: WhatIfEdit[]; ecgs: number; methods: string[] };
  /** Beat summaries per class: the method drawn on the median beats. */
  beats?: { method: string };
  threads?: number;
}

/** Methods the benchmark leaves out, and why. */
export const SKIPPED_METHODS: Readonly<Record<string, string>> = {
  tcav: 'TCAV scores a concept (a set of ECGs) for a class; its map is a concept sensitivity over time, not an attribution of this ECG, and it needs a concept set per class',
};

/** Method options sized for the benchmark (the defaults elsewhere). */
export const BENCHMARK_METHOD_OPTIONS: Record<string, Record<string, unknown>> = {
  'integrated-gradients': { steps: 32 },
  smoothgrad: { samples: 16 },
  'gradient-shap': { samples: 16 },
  occlusion: { window: 32, stride: 32 },
  'shap-waves': { samples: 256 },
  lime: { samples: 256 },
};

export const TORCH_MODEL_FILE = fileURLToPath(new URL('../../../../test/fixtures/benchmark/torch-resnet.onnx', import.meta.url));

const RESNET = 'resnet1d-small:filters=16,32,32,64';

function allMethods(): string[] {
  return explainerNames().filter((m) => !(m in SKIPPED_METHODS));
}

const EDITS: WhatIfEdit[] = [
  { edit: 'widen-qrs', amounts: [0, 20, 40, 60], target: 'CD' },
  { edit: 'prolong-pr', amounts: [0, 40, 80, 120], target: 'CD' },
  { edit: 'invert-t', amounts: [0, 0.5, 1], target: 'STTC' },
  { edit: 'st-elevation', amounts: [0, 0.1, 0.2, 0.3], leads: 'anterior', target: 'MI' },
  { edit: 'scale-r', amounts: [1, 1.5, 2, 2.5], target: 'HYP' },
  { edit: 'remove-p', amounts: [0, 0.5, 1] },
];

export function benchmarkConfig(size: 'full' | 'small'): BenchmarkConfig {
  const common = { seed: 1, batchSize: 32, lr: 2e-3, classes: ['MI', 'STTC', 'CD', 'HYP'], options: BENCHMARK_METHOD_OPTIONS, beats: { method: 'integrated-gradients' } };
  if (size === 'full') {
    return {
      ...common, n: 3000, epochs: 6, perClass: 12,
      models: [
        { name: 'resnet1d', kind: 'train', spec: RESNET },
        { name: 'cnn1d', kind: 'train', spec: 'cnn1d' },
        { name: 'torch-resnet', kind: 'file', file: TORCH_MODEL_FILE, description: 'PyTorch 1D-ResNet trained by scripts/torch/train_benchmark_model.py, exported to ONNX and carded' },
        { name: 'untrained', kind: 'untrained', spec: RESNET, perClass: 8 },
      ],
      methods: allMethods(),
      tlc: { k: 8, fitEcgs: 300, maxSamples: 30_000 },
      shortcut: { label: 'CD', fraction: 0.5, ecgs: 16, normEcgs: 16 },
      stability: { noises: [{ type: 'baseline', snrDb: 6 }, { type: 'emg', snrDb: 6 }, { type: 'powerline', snrDb: 6 }, { type: 'motion', snrDb: 6 }], perClass: 3 },
      probes: { edits: EDITS, ecgs: 12, methods: allMethods() },
    };
  }
  return {
    ...common, n: 500, epochs: 4, perClass: 6, classes: ['MI', 'HYP'],
    models: [{ name: 'resnet1d', kind: 'train', spec: RESNET }, { name: 'untrained', kind: 'untrained', spec: RESNET }],
    methods: ['saliency', 'integrated-gradients', 'input-x-gradient', 'gradcam', 'tlc'],
    options: { 'integrated-gradients': { steps: 16 } },
    tlc: { k: 4, fitEcgs: 60, maxSamples: 5000 },
    beats: { method: 'integrated-gradients' },
  };
}

/** Checks a config before any work. */
export function checkBenchmarkConfig(c: BenchmarkConfig): void {
  if (!(Number.isInteger(c.n) && c.n >= 200)) throw new OptionError('n', `expected at least 200 ECGs (10 folds), got ${c.n}`);
  if (!(Number.isInteger(c.perClass) && c.perClass >= 2)) throw new OptionError('perClass', `expected at least 2 ECGs per class, got ${c.perClass}`);
  if (c.models.length === 0) throw new OptionError('models', 'expected at least one model');
  if (new Set(c.models.map((m) => m.name)).size !== c.models.length) throw new OptionError('models', 'model names must differ');
  const known = new Set(explainerNames());
  for (const m of c.methods) {
    if (!known.has(m)) throw new OptionError('methods', `unknown method '${m}' (expected one of ${[...known].join(', ')})`);
    if (m in SKIPPED_METHODS) throw new OptionError('methods', `${m} is not scored by the benchmark: ${SKIPPED_METHODS[m]}`);
  }
  for (const cls of c.classes) if (!['MI', 'STTC', 'CD', 'HYP'].includes(cls)) throw new OptionError('classes', `'${cls}' has no planted evidence (expected MI, STTC, CD or HYP)`);
}
