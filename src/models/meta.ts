/**
 * The metadata that makes an ecgx model self-describing: stored as ONNX
 * metadata_props (string key -> string value, JSON for lists), read back by
 * training, evaluation and explainers so that a checkpoint needs no side file.
 */
import { FormatError } from '../util/errors.js';
import type { ModelProto } from '../engine/onnx/proto.js';

export type ModelTask = 'multilabel' | 'multiclass' | 'regression';

/** Metadata keys written into ecgx models (ModelProto.metadata_props). */
export const META = {
  architecture: 'ecgx.architecture',
  /** The factory's options as JSON. */
  options: 'ecgx.options',
  task: 'ecgx.task',
  /** JSON array, one name per output. */
  classNames: 'ecgx.class_names',
  /** Sampling rate of the input, Hz. */
  fs: 'ecgx.input_fs',
  /** JSON array of lead names, in input order. */
  leads: 'ecgx.input_leads',
} as const;

export interface ModelMeta {
  architecture?: string;
  task?: ModelTask;
  classNames?: string[];
  fs?: number;
  leads?: string[];
  options?: Record<string, unknown>;
}

/** The ecgx metadata of a model (fields absent when not recorded, e.g. in PyTorch exports). */
export function readModelMeta(model: ModelProto, file = '<model>'): ModelMeta {
  const props = new Map((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  const json = <T>(key: string, check: (v: unknown) => boolean, what: string): T | undefined => {
    const raw = props.get(key);
    if (raw === undefined) return undefined;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      throw new FormatError(file, `metadata '${key}' is not JSON (expected ${what})`, { field: key });
    }
    if (!check(v)) throw new FormatError(file, `metadata '${key}' is ${raw.slice(0, 60)}, expected ${what}`, { field: key });
    return v as T;
  };
  const strings = (v: unknown): boolean => Array.isArray(v) && v.every((s) => typeof s === 'string');
  const meta: ModelMeta = {};
  const arch = props.get(META.architecture);
  if (arch !== undefined) meta.architecture = arch;
  const task = props.get(META.task);
  if (task !== undefined) {
    if (task !== 'multilabel' && task !== 'multiclass' && task !== 'regression') throw new FormatError(file, `metadata '${META.task}' is '${task}', expected multilabel|multiclass|regression`, { field: META.task });
    meta.task = task;
  }
  const classNames = json<string[]>(META.classNames, strings, 'a JSON array of strings');
  if (classNames) meta.classNames = classNames;
  const leads = json<string[]>(META.leads, strings, 'a JSON array of lead names');
  if (leads) meta.leads = leads;
  const fs = props.get(META.fs);
  if (fs !== undefined) {
    const n = Number(fs);
    if (!(n > 0)) throw new FormatError(file, `metadata '${META.fs}' is '${fs}', expected a sampling rate in Hz`, { field: META.fs });
    meta.fs = n;
  }
  const options = json<Record<string, unknown>>(META.options, (v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'a JSON object');
  if (options) meta.options = options;
  return meta;
}

/** A copy of `model` with these metadata fields set (others kept), e.g. the fs and leads a trainer used. */
export function withModelMeta(model: ModelProto, meta: ModelMeta): ModelProto {
  const set = new Map((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  if (meta.architecture !== undefined) set.set(META.architecture, meta.architecture);
  if (meta.task !== undefined) set.set(META.task, meta.task);
  if (meta.classNames !== undefined) set.set(META.classNames, JSON.stringify(meta.classNames));
  if (meta.fs !== undefined) set.set(META.fs, String(meta.fs));
  if (meta.leads !== undefined) set.set(META.leads, JSON.stringify(meta.leads));
  if (meta.options !== undefined) set.set(META.options, JSON.stringify(meta.options));
  return { ...model, metadataProps: [...set].map(([key, value]) => ({ key, value })) };
}
