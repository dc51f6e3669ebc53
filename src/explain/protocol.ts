/**
 * The one protocol every attribution method follows (gradient methods,
 * occlusion, TLC): an explainer is created once per model (graphs built and
 * sessions opened there) and explains batches of preprocessed ECGs for a
 * target. A method is added by writing an ExplainerFactory and registering it
 * (registry.ts); the conformance test then covers it with no extra code.
 */
import type { ModelProto } from '../engine/onnx/proto.js';
import type { CardedModel } from '../models/predict.js';
import type { OptionDecl } from './options.js';
import type { NdArray } from '../util/npy.js';

/**
 * What to explain: a class index, a class name (from the model's metadata),
 * the predicted class of each ECG (argmax of the outputs), or the single
 * output of a regression model; or one class index per ECG of the batch (how
 * a record's target reaches each of its windows).
 */
export type Target = number | string | 'predicted' | 'regression' | readonly number[];

export interface ExplainBatch {
  /** [batch, leads, time] float32, already preprocessed as the model expects. */
  x: NdArray;
  /** Sampling rate of `x`, Hz (recorded in the attribution; methods with windows in seconds need it). */
  fs?: number;
  /** Lead names of `x`'s rows. */
  leads?: string[];
}

/** The target as resolved for each ECG of a batch. */
export interface ResolvedTarget {
  /** Output column explained, per ECG. */
  index: number[];
  /** Its class name, per ECG, when the model records class names. */
  name?: string[];
}

export interface Attribution {
  method: string;
  /** [batch, leads, time], or [batch, 1, time] for methods that attribute to time only (Grad-CAM). */
  values: NdArray;
  target: ResolvedTarget;
  /** The options the method ran with, defaults filled in (for run records). */
  options: Record<string, unknown>;
  timing: { ms: number };
  /** Method-specific extras (e.g. Integrated Gradients' completeness delta per ECG). */
  meta?: Record<string, unknown>;
}

export interface ExplainOptions {
  target: Target;
  /** Seed of every random choice of the method (SmoothGrad noise, ...). */
  seed?: number;
  [k: string]: unknown;
}

export interface Explainer {
  readonly name: string;
  explain(batch: ExplainBatch, opts: ExplainOptions): Promise<Attribution>;
  /** Frees the method's onnxruntime sessions; the explainer cannot be used afterwards. */
  release?(): Promise<void>;
}

export interface ExplainerFactory {
  name: string;
  /** One line for `ecgx explain --help`. */
  summary: string;
  /** The method's own options, declared once: checks, defaults, CLI flags and help come from here. */
  options: readonly OptionDecl[];
  /** `model` is a ModelProto, an `.onnx` path or a model with its card; `opts` are fixed for the explainer's life (layer, graphs...). */
  create(model: ModelProto | string | CardedModel, opts?: Record<string, unknown>): Promise<Explainer>;
  /**
   * Options the shared conformance test creates the method with (small settings, for speed); default none.
   * A function receives the test's ECGs, for methods that must be fitted on data first (TLC).
   */
  conformance?: Record<string, unknown> | ((data: { x: NdArray; fs: number }) => Record<string, unknown>);
  /**
   * True for methods whose values do not depend on the target (TLC explains what the
   * model's blocks represent, whatever the output). They still resolve and check the
   * target; the conformance test then asserts equal values across targets instead of
   * different ones.
   */
  classAgnostic?: boolean;
  /**
   * Keys of Attribution.meta that hold one entry per ECG of the batch: a
   * cohort run concatenates them across its batches (other keys describe the
   * call and are kept from one batch).
   */
  perInputMeta?: readonly string[];
}
