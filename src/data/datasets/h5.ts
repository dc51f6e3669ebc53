import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { EcgxError, FormatError, IoError } from '../../util/errors.js';
import type * as H5 from 'h5wasm/node';

type H5Lib = typeof H5;
export type H5File = H5.File;
export type H5Dataset = H5.Dataset;

type H5Module = Awaited<H5Lib['ready']>;

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

/**
 * Runs an h5wasm read of `path`. A damaged file makes HDF5 fail anywhere (the
 * superblock, an object header, a B-tree node), and h5wasm then throws HDF5's
 * whole diagnostic stack; this turns it into one FormatError naming the file
 * and what was being read. ecgx's own errors pass through.
 */
export function h5Read<T>(path: string, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof EcgxError) throw e;
    throw new FormatError(path, `damaged HDF5 file: cannot read ${what} (${h5Reason(e)})`);
  }
}

/** Closes a file read with h5wasm; a damaged file may fail to close, which must not hide the error being reported. */
export function closeQuietly(file: H5File | undefined): void {
  try {
    file?.close();
  } catch {
    // nothing more to release
  }
}

/** Opens an HDF5 file for reading; a missing, non-HDF5 or damaged file is a typed error naming it. */
export async function openH5Read(path: string): Promise<H5File> {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new IoError(path, 'file not found');
  let isFile: boolean;
  try {
    isFile = statSync(abs).isFile();
  } catch (e) {
    throw new IoError(path, `cannot read: ${(e as Error).message}`);
  }
  if (!isFile) throw new IoError(path, 'not a file (expected an HDF5 file)');
  if (!hasHdf5Signature(abs)) throw new FormatError(path, 'not an HDF5 file (no HDF5 signature)');
  const { File } = await h5();
  try {
    return new File(abs, 'r');
  } catch (e) {
    throw new FormatError(path, `damaged HDF5 file: cannot open it (${h5Reason(e)})`);
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
  const keys = h5Read(path, 'its list of datasets', () => file.keys());
  if (!keys.includes(name)) throw new FormatError(path, `missing dataset '${name}' (expected ${expected}; file has: ${keys.join(', ') || 'nothing'})`, { field: name });
  const entity = h5Read(path, `dataset '${name}'`, () => {
    const e = file.get(name) as { type?: string; shape?: unknown; metadata?: unknown } | null;
    // Touch the header fields now, so that a damaged object header fails here rather than in a later read.
    if (e && e.type === 'Dataset') void [e.shape, e.metadata];
    return e;
  });
  if (!entity || entity.type !== 'Dataset') throw new FormatError(path, `'${name}' is not a dataset (expected ${expected})`, { field: name });
  return entity as unknown as H5Dataset;
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

/**
 * A block of whole rows of a little-endian float32 dataset [N, ...], held in
 * the wasm heap and reused: rows are read into it and written from it with
 * one HDF5 hyperslab call each, without h5wasm's per-call malloc and copies of
 * `slice`/`write_slice` (about 5x faster for 6 MiB blocks). Views into the
 * heap are invalidated by any later HDF5 call (the heap may grow), so take a
 * fresh `rows()` view after each.
 */
export class F32RowBlock {
  private ptr: number;
  private readonly rowElems: number;
  private readonly tail: bigint[];

  private constructor(
    private readonly module: H5Module,
    private readonly ds: H5Dataset,
    readonly maxRows: number,
  ) {
    const shape = ds.shape ?? [];
    this.tail = shape.slice(1).map((d) => BigInt(d));
    this.rowElems = shape.slice(1).reduce((a, b) => a * b, 1);
    this.ptr = module._malloc(maxRows * this.rowElems * 4);
    if (this.ptr === 0) throw new RangeError(`F32RowBlock: cannot allocate ${maxRows} rows in the wasm heap`);
  }

  /** A block for `ds`, or undefined when its type is not little-endian float32 (use readRowsF32 then). */
  static async create(ds: H5Dataset, maxRows: number): Promise<F32RowBlock | undefined> {
    const m = ds.metadata;
    if (m.type !== 1 || m.size !== 4 || !m.littleEndian || !m.shape || m.shape.length < 1) return undefined;
    const module = await (await h5()).ready;
    return new F32RowBlock(module, ds, maxRows);
  }

  /** Float32 view of the first `n` rows of the block (in the wasm heap). */
  rows(n: number): Float32Array {
    return new Float32Array(this.module.HEAPU8.buffer, this.ptr, n * this.rowElems);
  }

  private hyperslab(r0: number, r1: number): [bigint[], bigint[], bigint[]] {
    if (!(r0 >= 0 && r1 > r0 && r1 - r0 <= this.maxRows)) throw new RangeError(`F32RowBlock: rows [${r0}, ${r1}) do not fit a block of ${this.maxRows}`);
    return [[BigInt(r1 - r0), ...this.tail], [BigInt(r0), ...this.tail.map(() => 0n)], [1n, ...this.tail.map(() => 1n)]];
  }

  /** Reads rows [r0, r1) into the block and returns their view. */
  read(r0: number, r1: number): Float32Array {
    const [count, offset, strides] = this.hyperslab(r0, r1);
    this.module.get_dataset_data(this.ds.file_id, this.ds.path, count, offset, strides, BigInt(this.ptr));
    return this.rows(r1 - r0);
  }

  /** Writes the block's first r1 - r0 rows to rows [r0, r1) of the dataset (which must already extend that far). */
  write(r0: number, r1: number): void {
    const [count, offset, strides] = this.hyperslab(r0, r1);
    this.module.set_dataset_data(this.ds.file_id, this.ds.path, count, offset, strides, BigInt(this.ptr));
  }

  free(): void {
    if (this.ptr !== 0) this.module._free(this.ptr);
    this.ptr = 0;
  }
}
