import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnosticSuperclasses, parseScpCodes, parseScpStatements } from './ptbxl-labels.js';
import { PTBXL_SCP_STATEMENTS_CSV } from './ptbxl-statements.js';
import { parseCsv } from './csv.js';
import { FormatError } from '../../util/errors.js';

const statements = parseScpStatements(parseCsv(PTBXL_SCP_STATEMENTS_CSV, 'scp_statements.csv'));

test('ptbxl statements: 71 statements, 44 diagnostic, 19 form, 12 rhythm; known classes', () => {
  const all = [...statements.values()];
  assert.equal(all.length, 71);
  assert.equal(all.filter((s) => s.diagnostic).length, 44);
  assert.equal(all.filter((s) => s.form).length, 19);
  assert.equal(all.filter((s) => s.rhythm).length, 12);
  const cls = (c: string): string | undefined => statements.get(c)?.diagnosticClass;
  assert.deepEqual(['NORM', 'IMI', 'ASMI', 'NDT', 'CLBBB', '1AVB', 'LVH', 'LAO/LAE'].map(cls), ['NORM', 'MI', 'MI', 'STTC', 'CD', 'CD', 'HYP', 'HYP']);
  assert.equal(statements.get('STD_')!.diagnostic, false); // a form statement in PTB-XL, not diagnostic
  assert.equal(statements.get('SR')!.rhythm, true);
});

test('ptbxl scp_codes: Python dict literals parse; malformed ones are FormatErrors naming the field', () => {
  assert.deepEqual([...parseScpCodes("{'NORM': 100.0, 'LVOLT': 0.0, 'SR': 0.0}", 'db.csv')], [['NORM', 100], ['LVOLT', 0], ['SR', 0]]);
  assert.deepEqual([...parseScpCodes('{}', 'db.csv')], []);
  assert.deepEqual([...parseScpCodes("{'LAO/LAE': 50.0,'PRC(S)': 0}", 'db.csv')], [['LAO/LAE', 50], ['PRC(S)', 0]]);
  assert.throws(() => parseScpCodes("{'NORM' 100}", 'db.csv', 3), (e: unknown) => e instanceof FormatError && /db\.csv:3 \(scp_codes\)/.test(e.message));
  assert.throws(() => parseScpCodes('NORM', 'db.csv'), FormatError);
});

test('ptbxl superclasses: aggregated like the benchmark (diagnostic codes only, any likelihood, set in NORM/MI/STTC/CD/HYP order)', () => {
  const agg = (s: string): string[] => diagnosticSuperclasses(parseScpCodes(s, 'x').keys(), statements);
  assert.deepEqual(agg("{'NORM': 100.0, 'SR': 0.0}"), ['NORM']);
  assert.deepEqual(agg("{'IMI': 15.0, 'LNGQT': 100.0, 'ILMI': 0.0}"), ['MI', 'STTC']);
  assert.deepEqual(agg("{'LVH': 100.0, 'CLBBB': 100.0, 'ASMI': 0.0, 'NST_': 50.0}"), ['MI', 'STTC', 'CD', 'HYP']);
  assert.deepEqual(agg("{'STD_': 100.0, 'SR': 0.0}"), []); // form and rhythm only: no superclass
  assert.deepEqual(agg("{'UNKNOWN': 100.0}"), []);
});
