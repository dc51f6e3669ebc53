import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { FormatError } from '../../util/errors.js';

/**
 * FLAC signal files (WFDB 10.7 formats 508, 516 and 524). Each signal file is
 * one FLAC stream whose channels are the signals of that file, in header
 * order; a signal with k samples per frame puts k consecutive FLAC samples
 * in each frame, so every signal of a file must have the same k. The stream's
 * bits per sample are at most the format's (8, 16 or 24).
 *
 * Decoding uses @wasm-audio-decoders/flac (libFLAC compiled to WebAssembly,
 * bundled in the package: nothing is fetched). Its API is asynchronous while
 * ecgx's readers are synchronous, so the decoder runs in a worker thread and
 * the caller blocks on a shared flag until the answer arrives (the worker is
 * started on first use, kept for later files, and never keeps the process alive).
 */

export const FLAC_FORMATS = [508, 516, 524] as const;

export function isFlacFormat(format: number): boolean {
  return format === 508 || format === 516 || format === 524;
}

/** Most channels a FLAC stream can hold, and so most signals in one FLAC signal file. */
export const FLAC_MAX_CHANNELS = 8;

export interface FlacRequest {
  bytes: Uint8Array;
}

export type FlacReply =
  | { ok: true; channels: Int32Array[]; bitsPerSample: number; nSamples: number; errors: string[] }
  | { ok: false; message: string; /** The worker is gone (it could not start): the next call starts another. */ fatal?: boolean };

/** What a FLAC stream's STREAMINFO block (its first metadata block) declares. */
export interface FlacStreamInfo {
  channels: number;
  bitsPerSample: number;
  /** Samples per channel; undefined when the encoder left it unknown (0, or all ones as WFDB writes to a pipe). */
  totalSamples?: number;
}

const FLAC_SIGNATURE = [0x66, 0x4c, 0x61, 0x43]; // 'fLaC'

/**
 * Reads the STREAMINFO block at the start of a FLAC stream (signature, then a
 * 4-byte block header of type 0 and length 34; channels - 1 in 3 bits and
 * bits per sample - 1 in 5 bits at byte 20, then a 36-bit sample count).
 */
export function flacStreamInfo(bytes: Uint8Array, file: string): FlacStreamInfo {
  if (bytes.length < 4 || FLAC_SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new FormatError(file, "not a FLAC stream (expected the signature 'fLaC' at byte 0, as formats 508, 516 and 524 store)");
  }
  if (bytes.length < 42 || (bytes[4]! & 0x7f) !== 0 || ((bytes[5]! << 16) | (bytes[6]! << 8) | bytes[7]!) !== 34) {
    throw new FormatError(file, 'FLAC stream without a complete STREAMINFO block (expected one of 34 bytes right after the signature)');
  }
  const b = (i: number): number => bytes[8 + i]!;
  const channels = ((b(12) >> 1) & 0x07) + 1;
  const bitsPerSample = (((b(12) & 0x01) << 4) | (b(13) >> 4)) + 1;
  const total = (b(13) & 0x0f) * 2 ** 32 + ((b(14) << 24) >>> 0) + (b(15) << 16) + (b(16) << 8) + b(17);
  const info: FlacStreamInfo = { channels, bitsPerSample };
  if (total !== 0 && total !== 2 ** 36 - 1) info.totalSamples = total;
  return info;
}

/** A decoded FLAC stream: one Int32Array of samples per channel. */
export interface FlacStream {
  channels: Int32Array[];
  bitsPerSample: number;
  /** Samples per channel. */
  nSamples: number;
}

/** How long a caller waits for one file before giving up (a 1 GiB record decodes in well under a minute). */
const TIMEOUT_MS = 300_000;

let worker: { port: MessagePort; flag: Int32Array; thread: Worker } | undefined;

/**
 * Loads the worker module from a tiny bootstrap, so that a worker that cannot
 * start (its module or the decoder package missing) still answers the waiting
 * caller instead of leaving it blocked until the timeout.
 */
const BOOTSTRAP = `const { workerData: w } = require('node:worker_threads');
import(w.url).catch((e) => {
  w.port.postMessage({ ok: false, fatal: true, message: 'the FLAC decoder could not start: ' + ((e && e.message) || e) });
  Atomics.store(w.flag, 0, 1);
  Atomics.notify(w.flag, 0);
});`;

function start(): NonNullable<typeof worker> {
  if (worker) return worker;
  const { port1, port2 } = new MessageChannel();
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const url = new URL('./flac-worker.js', import.meta.url).href;
  const thread = new Worker(BOOTSTRAP, { eval: true, workerData: { url, port: port2, flag }, transferList: [port2] });
  thread.unref();
  port1.unref();
  // Errors reach the caller through the reply; a worker that dies is restarted on the next call.
  thread.on('error', () => {});
  thread.on('exit', () => {
    if (worker?.thread === thread) worker = undefined;
  });
  worker = { port: port1, flag, thread };
  return worker;
}

/**
 * Decodes a whole FLAC stream synchronously. `file` names it in errors: a
 * stream that is not FLAC, that the decoder reports as damaged, or that
 * yields fewer samples than its STREAMINFO declares is a FormatError.
 */
export function decodeFlac(bytes: Uint8Array, file: string): FlacStream {
  const info = flacStreamInfo(bytes, file);
  const w = start();
  Atomics.store(w.flag, 0, 0);
  const copy = bytes.slice(); // transferred to the worker
  w.port.postMessage({ bytes: copy } satisfies FlacRequest, [copy.buffer]);
  const deadline = Date.now() + TIMEOUT_MS;
  let msg: { message: FlacReply } | undefined;
  while ((msg = receiveMessageOnPort(w.port) as { message: FlacReply } | undefined) === undefined) {
    const left = deadline - Date.now();
    if (left <= 0) {
      void w.thread.terminate();
      worker = undefined;
      throw new FormatError(file, `the FLAC decoder gave no answer within ${TIMEOUT_MS / 1000} s`);
    }
    Atomics.wait(w.flag, 0, 0, Math.min(left, 1000));
  }
  const r = msg.message;
  if (!r.ok && r.fatal) {
    void w.thread.terminate();
    worker = undefined;
  }
  if (!r.ok) throw new FormatError(file, `cannot decode FLAC: ${oneLine(r.message)}`);
  if (r.errors.length > 0) throw new FormatError(file, `damaged FLAC stream: ${oneLine(r.errors[0]!)}${r.errors.length > 1 ? ` (and ${r.errors.length - 1} more errors)` : ''}`);
  // The decoder skips frames it cannot sync to or whose CRC fails: the sample count shows it.
  if (info.totalSamples !== undefined && r.nSamples !== info.totalSamples) {
    throw new FormatError(file, `damaged or truncated FLAC stream: ${r.nSamples} of the ${info.totalSamples} samples its STREAMINFO declares could be decoded`);
  }
  if (r.nSamples > 0 && (r.channels.length !== info.channels || r.bitsPerSample !== info.bitsPerSample)) {
    throw new FormatError(file, `damaged FLAC stream: its frames hold ${r.channels.length} channel(s) of ${r.bitsPerSample} bits, its STREAMINFO ${info.channels} of ${info.bitsPerSample}`);
  }
  return { channels: r.nSamples > 0 ? r.channels : Array.from({ length: info.channels }, () => new Int32Array(0)), bitsPerSample: info.bitsPerSample, nSamples: r.nSamples };
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}
