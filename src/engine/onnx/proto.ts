/**
 * The ONNX protobuf schema (generated from the official onnx.proto by the
 * onnx-proto package) and small helpers to read and make its messages.
 * Graphs everywhere in ecgx are plain `onnx.IModelProto` / `onnx.IGraphProto`
 * objects, so models exported by PyTorch and models built by ecgx share one shape.
 */
import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { FormatError, ModelError, asIoError, fsErrorCode } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/atomic-write.js';

export const onnx = onnxProto.onnx;
export type { onnx as OnnxTypes } from 'onnx-proto';
import type { onnx as O } from 'onnx-proto';
export type ModelProto = O.IModelProto;
export type GraphProto = O.IGraphProto;
export type NodeProto = O.INodeProto;
export type TensorProto = O.ITensorProto;
export type AttributeProto = O.IAttributeProto;
export type ValueInfoProto = O.IValueInfoProto;

/** ONNX TensorProto.DataType codes used by ecgx. */
export const DType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;

/** protobufjs gives int64 fields as number or Long; ecgx uses numbers. */
export function toNumber(x: number | { toNumber(): number } | null | undefined): number {
  if (x === null || x === undefined) return 0;
  return typeof x === 'number' ? x : x.toNumber();
}

export function decodeModel(bytes: Uint8Array, file = '<model>'): ModelProto {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new FormatError(file, `not an ONNX model (protobuf decode failed: ${(e as Error).message})`);
  }
  if (!model.graph) throw new FormatError(file, 'ONNX model has no graph', { field: 'graph' });
  for (const t of model.graph.initializer ?? []) checkTensorData(t, file, `initializer '${t.name ?? ''}'`);
  for (const n of model.graph.node ?? []) {
    for (const a of n.attribute ?? []) if (a.t) checkTensorData(a.t, file, `tensor attribute '${a.name ?? ''}' of node '${n.name || n.opType || ''}'`);
  }
  return model;
}

/** Bytes per element of the fixed-size ONNX data types (STRING, 8, has none). */
const ELEM_BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 14: 8, 15: 16, 16: 2 };
const DTYPE_NAME: Record<number, string> = { 1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16' };

/**
 * A tensor whose stored data does not fill its shape exactly would be read
 * past its end (or silently truncated) by every consumer: refuse it on load,
 * naming the tensor. Tensors with external data are left to the runtime.
 */
function checkTensorData(t: TensorProto, file: string, where: string): void {
  const fail = (what: string): never => {
    throw new FormatError(file, what, { field: where });
  };
  const dims = (t.dims ?? []).map(toNumber);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) fail(`shape [${dims.join(', ')}] has a negative or non-integer dimension`);
  if (t.dataLocation === 1) return; // EXTERNAL
  const count = dims.reduce((a, b) => a * b, 1);
  const type = t.dataType ?? 0;
  const size = ELEM_BYTES[type];
  if (size === undefined) return; // strings and unknown types: nothing fixed to compare
  const shape = `shape [${dims.join(', ')}] of ${DTYPE_NAME[type]}`;
  if (t.rawData && t.rawData.length > 0) {
    if (t.rawData.length !== count * size) fail(`holds ${t.rawData.length} bytes of raw data, its ${shape} needs ${count * size} (expected the byte length to match the shape)`);
    return;
  }
  // Typed fields: complex types store two values per element; the small integer and 16-bit float types live in int32_data.
  const perElem = type === 14 || type === 15 ? 2 : 1;
  const field: number | undefined =
    type === 1 || type === 14 ? t.floatData?.length
      : type === 11 || type === 15 ? t.doubleData?.length
        : type === 7 ? t.int64Data?.length
          : type === 12 || type === 13 ? t.uint64Data?.length
            : t.int32Data?.length;
  const n = field ?? 0;
  if (n !== count * perElem) fail(`holds ${n} value(s), its ${shape} needs ${count * perElem} (expected the data to match the shape)`);
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model as Record<string, unknown>)).finish();
}

export function loadModel(path: string): ModelProto {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw fsErrorCode(e) !== undefined ? asIoError(e, path, 'read') : new FormatError(path, 'cannot read file (expected an .onnx model)');
  }
  return decodeModel(bytes, path);
}

export function saveModel(path: string, model: ModelProto): void {
  writeFileAtomic(path, encodeModel(model));
}

/** Dimensions of a tensor as numbers. */
export function tensorDims(t: TensorProto): number[] {
  return (t.dims ?? []).map(toNumber);
}

/** Values of a float tensor (raw_data or float_data) as Float32Array. */
export function tensorFloat32(t: TensorProto): Float32Array {
  const n = tensorDims(t).reduce((a, b) => a * b, 1);
  if (t.dataType === DType.FLOAT) {
    if (t.rawData && t.rawData.length > 0) {
      const copy = new Uint8Array(t.rawData); // realign: raw_data may start at any offset
      return new Float32Array(copy.buffer, 0, n);
    }
    return Float32Array.from(t.floatData ?? []);
  }
  if (t.dataType === DType.DOUBLE) {
    if (t.rawData && t.rawData.length > 0) return Float32Array.from(new Float64Array(new Uint8Array(t.rawData).buffer, 0, n));
    return Float32Array.from(t.doubleData ?? []);
  }
  throw new ModelError(`tensor '${t.name ?? ''}' has data type ${t.dataType}, expected float`);
}

/** Values of an integer tensor (int64/int32, raw or typed) as numbers. */
export function tensorInts(t: TensorProto): number[] {
  const n = tensorDims(t).reduce((a, b) => a * b, 1);
  if (t.dataType === DType.INT64) {
    if (t.rawData && t.rawData.length > 0) {
      const b = new Uint8Array(t.rawData);
      return Array.from(new BigInt64Array(b.buffer, 0, n), (v) => Number(v));
    }
    return (t.int64Data ?? []).map(toNumber);
  }
  if (t.dataType === DType.INT32) {
    if (t.rawData && t.rawData.length > 0) return Array.from(new Int32Array(new Uint8Array(t.rawData).buffer, 0, n));
    return [...(t.int32Data ?? [])];
  }
  throw new ModelError(`tensor '${t.name ?? ''}' has data type ${t.dataType}, expected int64 or int32`);
}

export function makeFloatTensor(name: string, dims: readonly number[], data: Float32Array | readonly number[]): TensorProto {
  const f = data instanceof Float32Array ? data : Float32Array.from(data);
  return { name, dims: [...dims], dataType: DType.FLOAT, rawData: new Uint8Array(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength)) };
}

export function makeInt64Tensor(name: string, dims: readonly number[], data: readonly number[]): TensorProto {
  const b = BigInt64Array.from(data, (v) => BigInt(v));
  return { name, dims: [...dims], dataType: DType.INT64, rawData: new Uint8Array(b.buffer) };
}

/** Attribute values ecgx writes: numbers (int if integral and `ints` not forced), arrays, strings, tensors. */
export type AttrValue = number | string | number[] | TensorProto | { floats: number[] } | { float: number };

const AT = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

function makeAttribute(name: string, v: AttrValue): AttributeProto {
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: AT.INT, i: v } : { name, type: AT.FLOAT, f: v };
  if (typeof v === 'string') return { name, type: AT.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: AT.INTS, ints: v };
  if ('floats' in v) return { name, type: AT.FLOATS, floats: v.floats };
  if ('float' in v) return { name, type: AT.FLOAT, f: v.float };
  return { name, type: AT.TENSOR, t: v };
}

export function makeNode(opType: string, inputs: readonly string[], outputs: readonly string[], attrs: Record<string, AttrValue> = {}, name?: string): NodeProto {
  const node: NodeProto = { opType, input: [...inputs], output: [...outputs], attribute: Object.entries(attrs).map(([k, v]) => makeAttribute(k, v)) };
  node.name = name ?? `${opType}_${outputs[0] ?? ''}`;
  return node;
}

/** Reads a node attribute as a plain value; undefined if absent. */
export function getAttr(node: NodeProto, name: string): number | number[] | string | TensorProto | undefined {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  if (!a) return undefined;
  switch (a.type) {
    case AT.FLOAT: return a.f ?? 0;
    case AT.INT: return toNumber(a.i);
    case AT.STRING: return new TextDecoder().decode(a.s ?? new Uint8Array());
    case AT.TENSOR: return a.t ?? undefined;
    case AT.FLOATS: return [...(a.floats ?? [])];
    case AT.INTS: return (a.ints ?? []).map(toNumber);
    default: throw new ModelError(`node '${node.name ?? node.opType}' attribute '${name}' has unsupported type ${a.type}`);
  }
}

export function getIntAttr(node: NodeProto, name: string, dflt: number): number {
  const v = getAttr(node, name);
  return typeof v === 'number' ? v : dflt;
}

export function getIntsAttr(node: NodeProto, name: string, dflt: number[]): number[] {
  const v = getAttr(node, name);
  return Array.isArray(v) ? v : dflt;
}

export function getFloatAttr(node: NodeProto, name: string, dflt: number): number {
  const v = getAttr(node, name);
  return typeof v === 'number' ? v : dflt;
}

/** A value info entry for a float tensor; `null` dims are symbolic (named `batch` etc.). */
export function makeValueInfo(name: string, dims: readonly (number | string)[], elemType: number = DType.FLOAT): ValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

/** Shape of a value info: numbers, or strings for symbolic dims. */
export function valueInfoDims(v: ValueInfoProto): (number | string)[] {
  return (v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : d.dimValue !== undefined && d.dimValue !== null ? toNumber(d.dimValue) : '?'));
}

/** Opset version of the default ONNX domain. */
export function opsetVersion(model: ModelProto): number {
  const o = (model.opsetImport ?? []).find((x) => !x.domain || x.domain === 'ai.onnx');
  return o ? toNumber(o.version) : 0;
}
