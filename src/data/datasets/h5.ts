import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { FormatError, IoError } from '../../util/errors.js';
import type * as H5 from 'h5wasm/node';

type H5Lib = typeof H5;
export type H5File = H5.File;
export type H5Dataset = H5.Dataset;

let lib: Promise<H5Lib> | undefined;

/**
 * h5wasm's Node build (Emscripten NODERAWFS): files are read and written in
 * place through the host file system, a hyperslab at a time, never loaded
 * whole. Loaded on first use so that other layouts do not pay for the wasm
 * start-up. HDF5 errors are turned into exceptions instead of being printed.
 */
async function h5(): Promise<H5Lib> {
  lib ??= (async () => {
    const mod = await import('h5wasm/node');
    const module = await mod.ready;
    module.activate_throwing_error_handler();
    return mod;
  })();
  return lib;
}

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]; // \x89HDF\r\n\x1a\n

/** True when the file carries the HDF5 signature at one of the offsets the format allows (0, 512, 1024, ...). */
function hasHdf5Signature(path: string): boolean {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(8);
    for (let off = 0; off + 8 <= size && off <= 1 << 20; off = off === 0 ? 512 : off * 2) {
      readSync(fd, buf, 0, 8, off);
      if (SIGNATURE.every((b, i) => buf[i] === b)) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

/** The last 'minor:' line of an HDF5 error stack: the most specific reason. */
function h5Reason(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const minors = [...text.matchAll(/minor:\s*(.+)/g)].map((m) => m[1]!.trim());
  return minors.at(-1) ?? text.split('\n')[0]!.trim();
}

/** Opens an HDF5 file for reading; a missing or non-HDF5 file is a typed error naming it. */
export async function openH5Read(path: string): Promise<H5File> {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new IoError(path, 'file not found');
  if (!hasHdf5Signature(abs)) throw new FormatError(path, 'not an HDF5 file (no HDF5 signature)');
  const { File } = await h5();
  try {
    return new File(abs, 'r');
  } catch (e) {
    throw new FormatError(path, `cannot open as HDF5: ${h5Reason(e)}`);
  }
}

/** Creates (truncates) an HDF5 file for writing. */
export async function openH5Write(path: string): Promise<H5File> {
  const { File } = await h5();
  try {
    return new File(resolve(path), 'w');
  } catch (e) {
    throw new IoError(path, `cannot create HDF5 file: ${h5Reason(e)}`);
  }
}

/** A dataset of the file, or a FormatError naming the file, the dataset and what was expected. */
export function requireDataset(file: H5File, path: string, name: string, expected: string): H5Dataset {
  let entity: unknown;
  try {
    entity = file.get(name);
  } catch {
    entity = null;
  }
  if (!entity || (entity as { type?: string }).type !== 'Dataset') {
    throw new FormatError(path, `missing dataset '${name}' (expected ${expected}; file has: ${file.keys().join(', ') || 'nothing'})`, { field: name });
  }
  return entity as H5Dataset;
}

/** Reads rows [r0, r1) of the first dimension as float32. */
export function readRowsF32(ds: H5Dataset, r0: number, r1: number): Float32Array {
  const out = ds.slice([[r0, r1]]);
  if (out instanceof Float32Array) return out;
  if (out instanceof Float64Array || out instanceof Int16Array || out instanceof Int32Array) return Float32Array.from(out);
  throw new TypeError(`readRowsF32: unexpected slice type ${out === null ? 'null' : typeof out}`);
}

/** Reads a whole 1-D integer dataset as numbers. */
export function readIntegers(ds: H5Dataset): number[] {
  const v = ds.value;
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) return Array.from(v, Number);
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, Number);
  if (Array.isArray(v)) return v.map(Number);
  return [Number(v)];
}
