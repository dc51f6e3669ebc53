import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataError, FormatError } from '../../util/errors.js';
import { readCsv } from './csv.js';

/**
 * The PhysioNet/CinC Challenge's table of SNOMED CT codes
 * (`dx_mapping_scored.csv`, `dx_mapping_unscored.csv`): code -> abbreviation
 * and name. The 2020 files spell the code column `SNOMED CT Code`, the 2021
 * files `SNOMEDCTCode`; both are read.
 */
export interface DxEntry {
  code: string;
  abbreviation: string;
  /** The Challenge's name of the diagnosis ('sinus rhythm'); '' when the file has no Dx column. */
  description: string;
}

export interface DxMap {
  files: string[];
  byCode: Map<string, DxEntry>;
}

/**
 * Codes the Challenge scores as one diagnosis, canonical code first
 * (evaluate_12ECG_score.py, 2020 and 2021): complete RBBB ≡ RBBB, PAC ≡ SVPB,
 * PVC ≡ VPB.
 */
export const CHALLENGE_EQUIVALENT_CODES: readonly (readonly [string, string])[] = [
  ['713427006', '59118001'],
  ['284470004', '63593006'],
  ['427172004', '17338001'],
];

const CANONICAL = new Map(CHALLENGE_EQUIVALENT_CODES.map(([keep, merged]) => [merged, keep]));

/** The code a SNOMED CT code is scored as (itself unless it is the second of an equivalent pair). */
export function canonicalCode(code: string): string {
  return CANONICAL.get(code) ?? code;
}

/** Codes merged into `code` (empty for most). */
export function equivalentCodes(code: string): string[] {
  return CHALLENGE_EQUIVALENT_CODES.filter(([keep]) => keep === code).map(([, merged]) => merged);
}

/** The dx map files ecgx looks for, in this order. */
export const DX_MAP_NAMES = ['dx_mapping_scored.csv', 'dx_mapping_unscored.csv'] as const;

/** The dx map files in the first of `dirs` that holds any, or [] when none does. */
export function findDxMap(dirs: readonly string[]): string[] {
  for (const dir of dirs) {
    const files = DX_MAP_NAMES.map((n) => join(dir, n)).filter((f) => existsSync(f) && statSync(f).isFile());
    if (files.length > 0) return files;
  }
  return [];
}

const norm = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Reads one or more dx map files (a code given twice keeps its first entry). */
export function readDxMap(files: readonly string[]): DxMap {
  if (files.length === 0) throw new DataError('readDxMap: no files given');
  const byCode = new Map<string, DxEntry>();
  for (const file of files) {
    const table = readCsv(file);
    const col = (names: string[]): number => table.header.findIndex((h) => names.includes(norm(h)));
    const code = col(['snomedctcode', 'snomedct', 'snomedcode', 'code']);
    const abbr = col(['abbreviation', 'abbr']);
    const dx = col(['dx', 'diagnosis', 'name']);
    if (code < 0) throw new FormatError(file, `no SNOMED CT code column (expected 'SNOMED CT Code' or 'SNOMEDCTCode'; header has: ${table.header.join(', ')})`, { field: 'SNOMED CT Code' });
    if (abbr < 0) throw new FormatError(file, `no 'Abbreviation' column (header has: ${table.header.join(', ')})`, { field: 'Abbreviation' });
    table.rows.forEach((r, k) => {
      const c = r[code]!.trim();
      if (!/^\d+$/.test(c)) throw new FormatError(file, `expected a numeric SNOMED CT code, got '${c}'`, { line: table.lines[k]!, field: table.header[code]! });
      const a = r[abbr]!.trim();
      if (!byCode.has(c)) byCode.set(c, { code: c, abbreviation: a === '' ? c : a, description: dx >= 0 ? r[dx]!.trim() : '' });
    });
  }
  return { files: [...files], byCode };
}

/**
 * Display names for label codes: each code's abbreviation, except where two
 * codes (after merging equivalents) would share one, or the map lacks the
 * code: then the code itself, so that names stay unique.
 */
export function dxNames(codes: readonly string[], map: DxMap): Map<string, string> {
  const abbr = (c: string): string | undefined => map.byCode.get(c)?.abbreviation;
  const uses = new Map<string, number>();
  for (const c of new Set(codes)) {
    const a = abbr(c);
    if (a !== undefined) uses.set(a, (uses.get(a) ?? 0) + 1);
  }
  const taken = new Set(codes.filter((c) => abbr(c) === undefined));
  const out = new Map<string, string>();
  for (const c of codes) {
    const a = abbr(c);
    out.set(c, a !== undefined && uses.get(a) === 1 && !taken.has(a) ? a : c);
  }
  return out;
}
