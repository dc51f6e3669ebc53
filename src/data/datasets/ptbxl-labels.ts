import { FormatError } from '../../util/errors.js';
import { requireColumns, type CsvTable } from './csv.js';

/** The five diagnostic superclasses of the PTB-XL benchmark, in its order. */
export const PTBXL_SUPERCLASSES = ['NORM', 'MI', 'STTC', 'CD', 'HYP'] as const;

/** One row of PTB-XL's scp_statements.csv. */
export interface ScpStatement {
  code: string;
  description: string;
  diagnostic: boolean;
  form: boolean;
  rhythm: boolean;
  /** Superclass (NORM/MI/STTC/CD/HYP) of a diagnostic statement. */
  diagnosticClass?: string;
  diagnosticSubclass?: string;
}

/** Reads scp_statements.csv: the first (unnamed, pandas index) column is the code. */
export function parseScpStatements(table: CsvTable): Map<string, ScpStatement> {
  const col = requireColumns(table, ['description', 'diagnostic', 'form', 'rhythm', 'diagnostic_class', 'diagnostic_subclass']);
  const flag = (v: string, line: number, field: string): boolean => {
    if (v === '' || v === '0' || v === '0.0') return false;
    if (v === '1' || v === '1.0') return true;
    throw new FormatError(table.file, `expected 1.0 or empty, got '${v}'`, { line, field });
  };
  const out = new Map<string, ScpStatement>();
  table.rows.forEach((r, k) => {
    const line = table.lines[k]!;
    const code = r[0]!.trim();
    if (code === '') throw new FormatError(table.file, 'empty statement code in the first column', { line });
    const s: ScpStatement = {
      code,
      description: r[col.description]!,
      diagnostic: flag(r[col.diagnostic]!, line, 'diagnostic'),
      form: flag(r[col.form]!, line, 'form'),
      rhythm: flag(r[col.rhythm]!, line, 'rhythm'),
    };
    if (r[col.diagnostic_class]) s.diagnosticClass = r[col.diagnostic_class]!;
    if (r[col.diagnostic_subclass]) s.diagnosticSubclass = r[col.diagnostic_subclass]!;
    if (s.diagnostic && !s.diagnosticClass) throw new FormatError(table.file, `diagnostic statement ${code} has no diagnostic_class`, { line, field: 'diagnostic_class' });
    out.set(code, s);
  });
  return out;
}

/**
 * Parses a `scp_codes` cell: a Python dict literal of statement -> likelihood,
 * e.g. `{'NORM': 100.0, 'SR': 0.0}`.
 */
export function parseScpCodes(text: string, file: string, line?: number): Map<string, number> {
  const where = { field: 'scp_codes', ...(line !== undefined ? { line } : {}) };
  const s = text.trim();
  if (!s.startsWith('{') || !s.endsWith('}')) throw new FormatError(file, `expected a dict literal like {'NORM': 100.0}, got '${text}'`, where);
  const out = new Map<string, number>();
  const body = s.slice(1, -1).trim();
  if (body === '') return out;
  const item = /^\s*(['"])(.*?)\1\s*:\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(?:,|$)/;
  let rest = body;
  while (rest.trim() !== '') {
    const m = item.exec(rest);
    if (!m) throw new FormatError(file, `expected 'CODE': number entries in the dict literal, got '${text}'`, where);
    out.set(m[2]!, Number(m[3]));
    rest = rest.slice(m[0].length);
  }
  return out;
}

/**
 * The diagnostic superclasses of one record, as the PTB-XL benchmark
 * (Strodthoff et al. 2020, `aggregate_diagnostic`) computes them: every code
 * whose statement is diagnostic, whatever its likelihood (0.0 included),
 * mapped to its diagnostic_class; the set, in PTB-XL's superclass order.
 */
export function diagnosticSuperclasses(codes: Iterable<string>, statements: ReadonlyMap<string, ScpStatement>): string[] {
  const found = new Set<string>();
  for (const c of codes) {
    const s = statements.get(c);
    if (s?.diagnostic && s.diagnosticClass) found.add(s.diagnosticClass);
  }
  const order: readonly string[] = PTBXL_SUPERCLASSES;
  return [...found].sort((a, b) => rank(order, a) - rank(order, b) || a.localeCompare(b));
}

function rank(order: readonly string[], x: string): number {
  const i = order.indexOf(x);
  return i < 0 ? order.length : i;
}
