import type { EcgMeta, Sex } from '../ecg.js';

/**
 * Header comments -> record metadata. Two conventions are common:
 * PhysioNet/CinC Challenge style (`Age: 59`, `Sex: Male`, `Dx: 164889003,59118001`)
 * and LUDB's (`<age>: 51`, `<sex>: F`, `<diagnoses>:` followed by one
 * diagnosis per comment line). Diagnoses become `labels`; other `key: value`
 * comments go to `extra`.
 */
export function commentsToMeta(comments: readonly string[], recordId: string, sourcePath?: string): EcgMeta {
  const meta: EcgMeta = { recordId };
  if (sourcePath !== undefined) meta.sourcePath = sourcePath;
  const labels: string[] = [];
  const extra: Record<string, string | number> = {};
  let inDiagnoses = false;
  for (const raw of comments) {
    const c = raw.trim();
    if (c === '') continue;
    const kv = keyValue(c);
    const key = kv?.[0].toLowerCase();
    const isTag = c.startsWith('<') && kv !== undefined; // LUDB's '<key>:' lines end a diagnosis block
    if (inDiagnoses && !isTag) {
      const label = c.replace(/\.\s*$/, '').trim();
      if (label !== '') labels.push(label);
      continue;
    }
    inDiagnoses = false;
    if (kv === undefined || key === undefined) continue;
    const value = kv[1];
    if (key === 'age') {
      const age = parseFloat(value.replace(/^[<>]\s*/, ''));
      if (Number.isFinite(age) && age >= 0) meta.age = age;
    } else if (key === 'sex' || key === 'gender') {
      const sex = parseSex(value);
      if (sex !== undefined) meta.sex = sex;
    } else if (key === 'dx') {
      for (const l of value.split(',')) if (l.trim() !== '') labels.push(l.trim());
    } else if (key === 'diagnoses' || key === 'diagnosis') {
      inDiagnoses = true;
      if (value !== '') labels.push(value.replace(/\.\s*$/, ''));
    } else {
      const n = Number(value);
      extra[kv[0]] = value !== '' && Number.isFinite(n) ? n : value;
    }
  }
  if (labels.length > 0) meta.labels = labels;
  if (Object.keys(extra).length > 0) meta.extra = extra;
  return meta;
}

/** 'Key: value' or '<key>: value' -> [key, value]; keys are words, spaces, dots and dashes. */
function keyValue(c: string): [string, string] | undefined {
  const colon = c.indexOf(':');
  if (colon < 0) return undefined;
  let key = c.slice(0, colon).trim();
  if (key.startsWith('<') && key.endsWith('>')) key = key.slice(1, -1).trim();
  if (!/^[A-Za-z][\w .-]*$/.test(key)) return undefined;
  return [key, c.slice(colon + 1).trim()];
}

function parseSex(value: string): Sex | undefined {
  const v = value.trim().toLowerCase();
  if (v === 'm' || v === 'male' || v === 'man') return 'M';
  if (v === 'f' || v === 'female' || v === 'woman') return 'F';
  return undefined;
}

/**
 * Record metadata -> header comments that commentsToMeta reads back: age and
 * sex as `<age>:`/`<sex>:`, labels one per line after `<diagnoses>:` (so a
 * label may contain commas). The diagnosis block comes last.
 */
export function metaToComments(meta: EcgMeta): string[] {
  const out: string[] = [];
  if (meta.age !== undefined) out.push(`<age>: ${meta.age}`);
  if (meta.sex !== undefined) out.push(`<sex>: ${meta.sex}`);
  if (meta.labels !== undefined && meta.labels.length > 0) {
    out.push('<diagnoses>:');
    for (const l of meta.labels) out.push(l.replace(/[\r\n]+/g, ' '));
  }
  return out;
}
