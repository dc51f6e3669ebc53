/**
 * Resumable training state of one fold (or of a pretraining run), written at
 * the end of every epoch as ONE file, `state.bin`, replaced atomically:
 *
 *   bytes 0-15   magic 'ecgx-state-v2\n\0\0'
 *   bytes 16-19  header length H (uint32, little-endian)
 *   bytes 20..   header: JSON (epoch, early-stopping bookkeeping, history,
 *                optimizer step, tensor index, payload byte count and SHA-256)
 *   then zero padding to a multiple of 4 bytes, then the payload: float32
 *   parameters, running statistics and AdamW moments, little-endian, concatenated.
 *
 * One file cannot be torn: a kill before its rename leaves the previous
 * epoch's state (and a `.state.bin.PID.tmp` that resuming removes), a kill
 * after it leaves the new one. The hash catches a file damaged on disk.
 * (ecgx before this format wrote state.json + state.bin, renamed one after
 * the other; a kill between the two renames went unnoticed. Such a pair is
 * refused rather than trusted.)
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError, asIoError } from '../util/errors.js';
import { removeStaleTemporaries, writeFileAtomic } from '../util/atomic-write.js';
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

type Group = 'params' | 'running' | 'm' | 'v';

interface StateHeader extends FoldProgress {
  step: number;
  tensors: { group: Group; name: string; offset: number; length: number }[];
  payloadBytes: number;
  sha256: string;
}

export const STATE_FILE = 'state.bin';
/** The header file of the earlier two-file format. */
const LEGACY_JSON = 'state.json';
const MAGIC = Buffer.from('ecgx-state-v2\n\0\0', 'latin1');

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The state file's bytes (exported for the tests that damage it). */
export function encodeFoldState(progress: FoldProgress, state: TrainerState): Uint8Array {
  const groups: [Group, Record<string, Float32Array>][] = [
    ['params', state.params], ['running', state.running], ['m', state.optimizer.m], ['v', state.optimizer.v],
  ];
  const tensors: StateHeader['tensors'] = [];
  let offset = 0;
  for (const [group, rec] of groups) {
    for (const [name, a] of Object.entries(rec)) {
      tensors.push({ group, name, offset, length: a.length });
      offset += a.length;
    }
  }
  const payload = new Float32Array(offset);
  for (const t of tensors) payload.set(groups.find(([g]) => g === t.group)![1][t.name]!, t.offset);
  const payloadBytes = new Uint8Array(payload.buffer);
  const header: StateHeader = { ...progress, step: state.optimizer.step, tensors, payloadBytes: payloadBytes.byteLength, sha256: sha256(payloadBytes) };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const start = Math.ceil((MAGIC.length + 4 + json.length) / 4) * 4;
  const out = new Uint8Array(start + payloadBytes.byteLength);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, json.length, true);
  out.set(json, MAGIC.length + 4);
  out.set(payloadBytes, start);
  return out;
}

export function saveFoldState(dir: string, progress: FoldProgress, state: TrainerState): void {
  writeFileAtomic(join(dir, STATE_FILE), encodeFoldState(progress, state));
}

function damaged(path: string, what: string): FormatError {
  return new FormatError(path, `damaged training state: ${what} (rerun without --resume, with --force, to start over)`);
}

function decodeFoldState(bytes: Uint8Array, path: string): { progress: FoldProgress; state: TrainerState } {
  if (bytes.byteLength < MAGIC.length + 4 || !MAGIC.equals(bytes.subarray(0, MAGIC.length))) throw damaged(path, 'not a training state written by ecgx');
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(MAGIC.length, true);
  if (MAGIC.length + 4 + n > bytes.byteLength) throw damaged(path, `header of ${n} bytes does not fit in ${bytes.byteLength} bytes`);
  let h: StateHeader;
  try {
    h = JSON.parse(Buffer.from(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + n)).toString('utf8')) as StateHeader;
  } catch {
    throw damaged(path, 'its header is not valid JSON');
  }
  if (!h || typeof h !== 'object' || !Number.isInteger(h.epoch) || !Array.isArray(h.tensors) || !Array.isArray(h.history) || typeof h.sha256 !== 'string') throw damaged(path, 'its header lacks epoch, tensors, history or sha256');
  const start = Math.ceil((MAGIC.length + 4 + n) / 4) * 4;
  const payload = bytes.subarray(start);
  if (payload.byteLength !== h.payloadBytes) throw damaged(path, `expected ${h.payloadBytes} bytes of tensors, found ${payload.byteLength}`);
  if (sha256(payload) !== h.sha256) throw damaged(path, 'its tensors do not match their SHA-256');
  const values = new Float32Array(payload.buffer.slice(payload.byteOffset, payload.byteOffset + payload.byteLength));
  const state: TrainerState = { params: {}, running: {}, optimizer: { step: h.step, m: {}, v: {} } };
  for (const t of h.tensors) {
    if (!(t.offset >= 0 && t.length >= 0 && t.offset + t.length <= values.length)) throw damaged(path, `tensor '${t.name}' lies outside the payload`);
    const a = values.slice(t.offset, t.offset + t.length);
    if (t.group === 'params') state.params[t.name] = a;
    else if (t.group === 'running') state.running[t.name] = a;
    else if (t.group === 'm' || t.group === 'v') state.optimizer[t.group][t.name] = a;
    else throw damaged(path, `tensor '${t.name}' has an unknown group`);
  }
  const { epoch, bestMetric, bestEpoch, badEpochs, history, stopped } = h;
  const progress: FoldProgress = { epoch, badEpochs, history, stopped };
  if (bestMetric !== undefined && bestMetric !== null) progress.bestMetric = bestMetric;
  if (bestEpoch !== undefined) progress.bestEpoch = bestEpoch;
  return { progress, state };
}

/**
 * The state saved in `dir`, or undefined when none was saved yet. Removes the
 * temporary files a killed run left there first (only files whose writer is no
 * longer alive).
 */
export function loadFoldState(dir: string): { progress: FoldProgress; state: TrainerState } | undefined {
  removeStaleTemporaries(dir);
  if (existsSync(join(dir, LEGACY_JSON))) throw damaged(join(dir, LEGACY_JSON), 'written by an earlier ecgx as two files that a kill can leave out of step');
  const path = join(dir, STATE_FILE);
  if (!existsSync(path)) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw asIoError(e, path, 'read');
  }
  return decodeFoldState(bytes, path);
}
