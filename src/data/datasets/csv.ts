import { existsSync, readFileSync } from 'node:fs';
import { FormatError, IoError, asIoError } from '../../util/errors.js';

/** A parsed CSV file: header names and rows of fields, with the line each row starts on. */
export interface CsvTable {
  file: string;
  header: string[];
  rows: string[][];
  /** 1-based physical line on which each row starts (quoted fields may span lines). */
  lines: number[];
}

/**
 * Parses RFC 4180 CSV: comma-separated, fields optionally double-quoted, `""`
 * inside quotes for a quote, quoted fields may contain commas and newlines
 * (LUDB's ludb.csv does). CRLF or LF line ends; a UTF-8 BOM is dropped.
 * Rows must have as many fields as the header.
 */
export function parseCsv(text: string, file = '<csv>'): CsvTable {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const records: string[][] = [];
  const lines: number[] = [];
  let row: string[] = [];
  let field = '';
  let atFieldStart = true; // no character of the current field consumed yet
  let line = 1;
  let rowLine = 1;
  const endRow = (): void => {
    row.push(field);
    // A blank line (a single empty unquoted field) is not a row.
    if (row.length > 1 || row[0] !== '' || !atFieldStart) {
      records.push(row);
      lines.push(rowLine);
    }
    row = [];
    field = '';
    atFieldStart = true;
  };
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '"' && atFieldStart) {
      // Quoted field: read to the closing quote.
      atFieldStart = false;
      i++;
      for (;;) {
        if (i >= n) throw new FormatError(file, 'unterminated quoted field at end of file (expected a closing ")', { line: rowLine });
        const q = text[i]!;
        if (q === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (q === '\n') line++;
        field += q;
        i++;
      }
      const next = text[i];
      if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
        throw new FormatError(file, `unexpected character '${next}' after a closing quote (expected , or end of line)`, { line });
      }
    } else if (c === ',') {
      row.push(field);
      field = '';
      atFieldStart = true;
      i++;
    } else if (c === '\n' || c === '\r') {
      endRow();
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
      rowLine = line;
    } else {
      // Unquoted run: up to the next comma or line break, taken in one slice.
      let j = i + 1;
      while (j < n) {
        const k = text.charCodeAt(j);
        if (k === 44 || k === 10 || k === 13) break;
        j++;
      }
      field += text.slice(i, j);
      atFieldStart = false;
      i = j;
    }
  }
  if (row.length > 0 || !atFieldStart) endRow();
  if (records.length === 0) throw new FormatError(file, 'empty CSV file (expected a header line)');
  const header = records.shift()!;
  lines.shift();
  records.forEach((r, k) => {
    if (r.length !== header.length) {
      throw new FormatError(file, `row has ${r.length} fields, the header has ${header.length}`, { line: lines[k]! });
    }
  });
  return { file, header, rows: records, lines };
}

/** Reads and parses a CSV file; a missing, unreadable or folder path is an IoError naming it. */
export function readCsv(path: string): CsvTable {
  if (!existsSync(path)) throw new IoError(path, 'file not found');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw asIoError(e, path, 'read'); // e.g. a folder in the table's place (EISDIR carries no path)
  }
  return parseCsv(text, path);
}

/**
 * Column index of each required name; a missing column is a FormatError that
 * names the file and the column.
 */
export function requireColumns<K extends string>(table: CsvTable, names: readonly K[]): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const name of names) {
    const k = table.header.indexOf(name);
    if (k < 0) throw new FormatError(table.file, `missing column '${name}' (header has: ${table.header.join(', ')})`, { field: name });
    out[name] = k;
  }
  return out;
}

/** Quotes a field when it holds a comma, quote or line break. */
function csvField(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Formats rows (the first is the header) as CSV with LF line ends. */
export function formatCsv(rows: readonly (readonly (string | number | boolean | null | undefined)[])[]): string {
  return rows.map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}
