// ecgx public API. The CLI (src/cli) is a thin layer over these exports.
export * from './util/errors.js';
export { Rng } from './util/rng.js';
export { readNpy, writeNpy, decodeNpy, encodeNpy, type NdArray } from './util/npy.js';
export { writeFileAtomic, writeDirAtomic } from './util/atomic-write.js';
export { Progress } from './util/progress.js';
export * from './data/ecg.js';
export * from './data/leads.js';
export * from './engine/onnx/proto.js';
export * from './data/wfdb/index.js';
export * from './engine/onnx/builder.js';
export * from './engine/onnx/shapes.js';
export * from './engine/onnx/inspect.js';
export * from './engine/runtime.js';
export * from './models/index.js';
export * from './data/preprocess/index.js';
export * from './data/synth/index.js';
export * from './data/datasets/index.js';
export * from './engine/autodiff/index.js';
