/**
 * Planted evidence beside a record (synthetic databases): one JSON sidecar,
 * `RECORD.evidence.json`, next to the record's wave annotation files:
 *
 *   {"schema": "ecgx-evidence", "version": 1, "fs": 100, "nSamples": 1000,
 *    "labels": {"MI": {"codes": ["IMI"], "leads": {"II": [[412, 431, "QRS"], ...], ...}}, ...}}
 *
 * Intervals are [onset, offset, part] in samples of the record (inclusive).
 * A record whose labels planted nothing (NORM) gets `"labels": {}`, so that
 * "no evidence" is told apart from "not written".
 */
import { existsSync, readFileSync } from 'node:fs';
import type { EvidenceInterval, EvidenceMasks, EvidencePart } from '../ecg.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { FormatError, IoError } from '../../util/errors.js';

export const EVIDENCE_SUFFIX = '.evidence.json';
export const EVIDENCE_SCHEMA = 'ecgx-evidence';
const PARTS: readonly EvidencePart[] = ['P', 'PR', 'QRS', 'ST', 'T', 'artefact'];

/** Writes the masks beside the record (`shift` moves every interval, e.g. a writer's zero-padding). */
export function writeEvidenceFile(recordBase: string, masks: EvidenceMasks, o: { fs: number; nSamples: number; shift?: number }): void {
  const by = o.shift ?? 0;
  const labels = Object.fromEntries(Object.entries(masks).map(([label, m]) => [label, {
    codes: m.codes,
    leads: Object.fromEntries(Object.entries(m.leads).map(([lead, list]) => [lead, list.map((iv) => [iv.onset + by, iv.offset + by, iv.part])])),
  }]));
  writeFileAtomic(recordBase + EVIDENCE_SUFFIX, JSON.stringify({ schema: EVIDENCE_SCHEMA, version: 1, fs: o.fs, nSamples: o.nSamples + 2 * by, labels }) + '\n');
}

/** Reads the sidecar of a record; undefined when there is none. */
export function readEvidenceFile(recordBase: string): EvidenceMasks | undefined {
  const file = recordBase + EVIDENCE_SUFFIX;
  if (!existsSync(file)) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    if (e instanceof SyntaxError) throw new FormatError(file, `not JSON: ${e.message}`);
    throw new IoError(file, (e as Error).message);
  }
  const d = doc as { schema?: unknown; version?: unknown; labels?: unknown };
  if (!d || d.schema !== EVIDENCE_SCHEMA || d.version !== 1) throw new FormatError(file, `expected {"schema": "${EVIDENCE_SCHEMA}", "version": 1, ...}`, { field: 'schema' });
  if (!d.labels || typeof d.labels !== 'object') throw new FormatError(file, 'expected an object of labels', { field: 'labels' });
  const out: EvidenceMasks = {};
  for (const [label, raw] of Object.entries(d.labels as Record<string, unknown>)) {
    const m = raw as { codes?: unknown; leads?: unknown };
    if (!m || !Array.isArray(m.codes) || !m.leads || typeof m.leads !== 'object') throw new FormatError(file, 'expected {codes: [...], leads: {...}}', { field: `labels.${label}` });
    const leads: Record<string, EvidenceInterval[]> = {};
    for (const [lead, list] of Object.entries(m.leads as Record<string, unknown>)) {
      if (!Array.isArray(list)) throw new FormatError(file, 'expected a list of [onset, offset, part]', { field: `labels.${label}.leads.${lead}` });
      leads[lead] = list.map((iv: unknown, i) => {
        const [on, off, part] = Array.isArray(iv) ? iv : [];
        if (!Number.isInteger(on) || !Number.isInteger(off) || (off as number) < (on as number) || !PARTS.includes(part as EvidencePart)) {
          throw new FormatError(file, `expected [onset, offset, part] with integer onset <= offset and part one of ${PARTS.join('|')}`, { field: `labels.${label}.leads.${lead}[${i}]` });
        }
        return { onset: on as number, offset: off as number, part: part as EvidencePart };
      });
    }
    out[label] = { codes: (m.codes as unknown[]).map(String), leads };
  }
  return out;
}
