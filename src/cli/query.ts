/** `ecgx query`: SQL over an explanation store (DuckDB over its Parquet tables). */
import type { Command } from './command.js';
import { choiceOption, numberOption, parseCommandArgs } from './command.js';
import { OptionError } from '../util/errors.js';
import { StoreQuery, schemaText } from '../explain/store/index.js';

const usage = `Usage: ecgx query STORE "SQL" [--format table|csv|json] [--max-list N]

Runs SQL (DuckDB's dialect) over an explanation store written by 'ecgx explain
--store', 'ecgx tlc explain --store', 'ecgx predict --store' or 'ecgx merge'.
Every table joins on id. Tables:

${schemaText()}

Examples:
  ecgx query STORE "SELECT id, layer, mean_entropy FROM tlc ORDER BY mean_entropy DESC LIMIT 10"
  ecgx query STORE "SELECT r.target_name AS class, w.lead, avg(w.share) AS qrs_share
                    FROM wave_mass w JOIN records r USING (id)
                    WHERE w.method = 'integrated-gradients' AND w.wave = 'QRS' GROUP BY ALL ORDER BY ALL"
  (more in the README, "Explanation store")

Options:
  --format F    table (default: aligned columns), csv, or json (one object per row)
  --max-list N  in table format, show at most N items of a list (default 6; json and csv show all)
`;

function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Date) return v.toISOString();
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

function cell(v: unknown, maxList: number): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Number(v.toPrecision(6)).toString();
  if (Array.isArray(v)) {
    const shown = v.slice(0, maxList).map((x) => cell(x, maxList));
    return `[${shown.join(', ')}${v.length > maxList ? `, ... (${v.length})` : ''}]`;
  }
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const command: Command = {
  summary: 'SQL over an explanation store (records, scores, attributions, wave_mass, tlc, clusters, ...)',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('query', argv, { format: { type: 'string' }, 'max-list': { type: 'string' } });
    if (positionals.length !== 2) throw new OptionError('query', `expected STORE and one SQL string, got ${positionals.length} argument(s) (quote the SQL; see 'ecgx query --help')`);
    const format = choiceOption('--format', values.format, ['table', 'csv', 'json'] as const) ?? 'table';
    const maxList = numberOption('--max-list', values['max-list'], { integer: true, min: 0, max: 1_000_000 }) ?? 6;
    const store = await StoreQuery.open(positionals[0]!);
    try {
      const { columns, rows } = await store.query(positionals[1]!);
      const data = rows.map((r) => r.map(plain));
      if (format === 'json') {
        for (const r of data) process.stdout.write(JSON.stringify(Object.fromEntries(columns.map((c, j) => [c, r[j]]))) + '\n');
      } else if (format === 'csv') {
        process.stdout.write([columns, ...data].map((r) => r.map(csvCell).join(',')).join('\n') + '\n');
      } else {
        const text = [columns, ...data.map((r) => r.map((v) => cell(v, maxList)))];
        const width = columns.map((_, j) => Math.max(...text.map((r) => String(r[j]).length)));
        for (const r of text) process.stdout.write(r.map((v, j) => String(v).padEnd(width[j]!)).join('  ').trimEnd() + '\n');
        process.stderr.write(`(${data.length} row${data.length === 1 ? '' : 's'})\n`);
      }
      return 0;
    } finally {
      store.close();
    }
  },
};

export default command;
