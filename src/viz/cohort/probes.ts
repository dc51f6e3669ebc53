/** Cohort views of the what-if probes: dose-response curves, one panel per edit. */
import type { WhatIfResult } from '../../explain/probes/what-if.js';
import { CATEGORICAL } from '../palettes.js';
import type { TopLevelSpec } from './vega.js';

/** Mean change of each class score against the edit's magnitude, one panel per edit (its own x axis). */
export function doseResponseSpec(r: WhatIfResult, title = 'Dose-response: mean change of each class score as the edit grows'): TopLevelSpec {
  const values = r.doses.flatMap((d) => d.points.flatMap((p) => r.classes.map((c, k) => ({ edit: `${d.edit} (${d.unit}${d.leads !== 'all' ? `, ${d.leads}` : ''})`, amount: p.amount, class: c, delta: p.meanDelta[k]! }))));
  return {
    title,
    data: { values },
    facet: { field: 'edit', type: 'nominal', title: null, header: { labelFontSize: 12 } },
    columns: 3,
    resolve: { scale: { x: 'independent' } },
    spec: {
      width: 210, height: 150,
      layer: [
        { mark: { type: 'rule', color: '#999999', strokeDash: [3, 3] }, encoding: { y: { datum: 0 } } },
        {
          mark: { type: 'line', point: true, strokeWidth: 2 },
          encoding: {
            x: { field: 'amount', type: 'quantitative', title: 'magnitude' },
            y: { field: 'delta', type: 'quantitative', title: 'Δ score' },
            color: { field: 'class', type: 'nominal', scale: { domain: r.classes, range: r.classes.map((_, i) => CATEGORICAL[i % CATEGORICAL.length]!) } },
          },
        },
      ],
    },
  } as TopLevelSpec;
}
