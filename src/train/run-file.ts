/**
 * Reading the JSON record a run keeps beside its results (run.json of
 * `ecgx train`, pretrain.json of `ecgx pretrain`). A file that cannot be
 * parsed, is `null`, or lacks its config is a FormatError that says the run
 * file is damaged and where, never a TypeError deep inside resuming.
 */
import { readFileSync } from 'node:fs';
import { FormatError, asIoError } from '../util/errors.js';

/** Reads `path` as the run file written by `writer` (e.g. 'ecgx train'); checks that it holds a config object. */
export function readRunFile<T extends { config: object }>(path: string, writer: string): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw asIoError(e, path, 'read');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw damagedRunFile(path, writer, 'not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw damagedRunFile(path, writer, `expected a JSON object, found ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
  const config = (value as { config?: unknown }).config;
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw damagedRunFile(path, writer, "no 'config' object");
  return value as T;
}

export function damagedRunFile(path: string, writer: string, what: string, field?: string): FormatError {
  return new FormatError(path, `damaged run file: ${what} (expected the record written by ${writer})`, field !== undefined ? { field } : {});
}
