// ECG edits on delineated beats (what-if probes).
export { editEcg, beatsOf, parseEditDoses, ECG_EDITS, EDIT_INFO, EDIT_TERRITORIES, type EcgEdit, type EditSpec, type EditResult } from './edits.js';
