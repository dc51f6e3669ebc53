// WFDB (PhysioNet) records: headers, signal formats, annotations; read and write.
export { parseHeader, readHeader, formatHeader, recordBase, defaultAdcResolution, type WfdbHeader, type WfdbSignalSpec, type WfdbSegmentSpec } from './header.js';
// Byte-level codecs, namespaced: their names (decodeSamples, invalidValue, ...) only make sense for WFDB.
export * as wfdbFormats from './formats.js';
export { commentsToMeta, metaToComments } from './metadata.js';
export { readRecord, writeRecord, wfdbChecksum, unitScaleToMv, type ReadRecordOptions, type WriteRecordOptions, type ChecksumReport, type WfdbRecord } from './record.js';
export {
  readAnnotations,
  readAnnotationFile,
  decodeAnnotationFile,
  writeAnnotations,
  decodeAnnotations,
  encodeAnnotations,
  annotationPath,
  annotationCode,
  annotationsToWaves,
  wavesToAnnotations,
  ANNOTATION_SYMBOLS,
  type Annotation,
  type AnnotationFile,
  type CustomLabel,
  type DecodeAnnotationOptions,
  type EncodeAnnotationOptions,
} from './annotations.js';
export { DEFAULT_MAX_SAMPLES } from './io.js';
export { FS_RANGE } from './header.js';
