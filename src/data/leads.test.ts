import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalLead, standardLeadIndex } from './leads.js';

test('leads: field spellings map to canonical names, others are kept', () => {
  assert.equal(canonicalLead('avr'), 'aVR');
  assert.equal(canonicalLead('AVL'), 'aVL');
  assert.equal(canonicalLead('DI'), 'I');
  assert.equal(canonicalLead('DIII'), 'III');
  assert.equal(canonicalLead('MLII'), 'II');
  assert.equal(canonicalLead(' v5 '), 'V5');
  assert.equal(canonicalLead('ABP'), 'ABP');
  assert.equal(canonicalLead('V4R'), 'V4R');
  assert.deepEqual(standardLeadIndex(['v1', 'ii', 'ABP']).slice(0, 7), [-1, 1, -1, -1, -1, -1, 0]);
});
