/**
 * Resumable training state of one fold: `state.json` (epoch, early-stopping
 * bookkeeping, history, tensor index) and `state.bin` (float32 parameters,
 * running statistics and AdamW moments, little-endian, concatenated).
 * Written at the end of every epoch, the .bin first, each atomically; the
 * JSON records the .bin's size, so a torn pair is detected.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { TrainerState } from './trainer.js';
import type { MetricValues } from './evaluate.js';

export interface EpochRecord {
  epoch: number;
  loss: number;
  lr: number;
  seconds: number;
  ecgPerSecond: number;
  val: MetricValues;
}

export interface FoldProgress {
  /** Epochs completed. */
  epoch: number;
  bestMetric?: number;
  bestEpoch?: number;
  /** Epochs since the best one (early-stopping counter). */
  badEpochs: number;
  history: EpochRecord[];
  stopped: boolean;
}

interface StateFile extends FoldProgress {
  binBytes: number;
  step: number;
  tensors: { group: 'params' | 'running' | 'm' | 'v'; name: string; offset: number; length: number }[];
}

export function saveFoldState(dir: string, progress: FoldProgress, state: TrainerState): void {
  const groups: [StateFile['tensors'][number]['group'], Record<string, Float32Array>][] = [
    ['params', state.params], ['running', state.running], ['m', state.optimizer.m], ['v', state.optimizer.v],
  ];
  const tensors: StateFile['tensors'] = [];
  let offset = 0;
  for (const [group, rec] of groups) {
    for (const [name, a] of Object.entries(rec)) {
      tensors.push({ group, name, offset, length: a.length });
      offset += a.length;
    }
  }
  const bin = new Float32Array(offset);
  for (const t of tensors) bin.set(groups.find(([g]) => g === t.group)![1][t.name]!, t.offset);
  writeFileAtomic(join(dir, 'state.bin'), new Uint8Array(bin.buffer));
  const file: StateFile = { ...progress, binBytes: bin.byteLength, step: state.optimizer.step, tensors };
  writeFileAtomic(join(dir, 'state.json'), JSON.stringify(file));
}

export function loadFoldState(dir: string): { progress: FoldProgress; state: TrainerState } | undefined {
  const jsonPath = join(dir, 'state.json'), binPath = join(dir, 'state.bin');
  if (!existsSync(jsonPath)) return undefined;
  let file: StateFile;
  try {
    file = JSON.parse(readFileSync(jsonPath, 'utf8')) as StateFile;
  } catch {
    throw new FormatError(jsonPath, 'not valid JSON (expected a training state written by ecgx train)');
  }
  const bytes = existsSync(binPath) ? readFileSync(binPath) : undefined;
  if (!bytes || bytes.byteLength !== file.binBytes) throw new FormatError(binPath, `expected ${file.binBytes} bytes of training state, found ${bytes?.byteLength ?? 'no file'}`);
  const bin = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const state: TrainerState = { params: {}, running: {}, optimizer: { step: file.step, m: {}, v: {} } };
  for (const t of file.tensors) {
    const a = bin.slice(t.offset, t.offset + t.length);
    if (t.group === 'params') state.params[t.name] = a;
    else if (t.group === 'running') state.running[t.name] = a;
    else state.optimizer[t.group][t.name] = a;
  }
  const { epoch, bestMetric, bestEpoch, badEpochs, history, stopped } = file;
  const progress: FoldProgress = { epoch, badEpochs, history, stopped };
  if (bestMetric !== undefined && bestMetric !== null) progress.bestMetric = bestMetric;
  if (bestEpoch !== undefined) progress.bestEpoch = bestEpoch;
  return { progress, state };
}
