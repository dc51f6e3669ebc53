import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCsv, parseCsv, requireColumns } from './csv.js';
import { FormatError } from '../../util/errors.js';

test('csv: quoted fields with commas, quotes and newlines; CRLF; row start lines', () => {
  const text = 'ID,Sex,Note\r\n1,"F\n","a, ""b"""\r\n\r\n2,M,\n3,"",x';
  const t = parseCsv(text, 'x.csv');
  assert.deepEqual(t.header, ['ID', 'Sex', 'Note']);
  assert.deepEqual(t.rows, [
    ['1', 'F\n', 'a, "b"'],
    ['2', 'M', ''],
    ['3', '', 'x'],
  ]);
  assert.deepEqual(t.lines, [2, 5, 6]);
});

test('csv: formatCsv round-trips through parseCsv', () => {
  const rows = [['a', 'b', 'c'], ['x,y', 'say "hi"', 'two\nlines'], ['', '1', 'plain']];
  assert.deepEqual(parseCsv(formatCsv(rows)).rows, rows.slice(1));
});

test('csv: wrong field count, unterminated quote and missing column are FormatErrors naming file, line, column', () => {
  assert.throws(() => parseCsv('a,b\n1,2,3\n', 'f.csv'), (e: unknown) => e instanceof FormatError && e.message === 'f.csv:2: row has 3 fields, the header has 2');
  assert.throws(() => parseCsv('a,b\n1,"2\n', 'g.csv'), (e: unknown) => e instanceof FormatError && /g\.csv:2: unterminated/.test(e.message));
  const t = parseCsv('a,b\n1,2\n', 'h.csv');
  assert.deepEqual(requireColumns(t, ['b', 'a']), { b: 1, a: 0 });
  assert.throws(() => requireColumns(t, ['a', 'age']), (e: unknown) => e instanceof FormatError && e.field === 'age' && /h\.csv \(age\): missing column 'age'/.test(e.message));
});
