import type { EcgLayout } from '../layout.js';

/**
 * Paper for a chart `width` px wide showing `duration` s: the fastest of 25,
 * 50, 100, 200, 400 mm/s that still leaves >= 3 px per mm (zooming in reads
 * like a faster paper speed, as on an ECG machine), then the px per mm that fills the width.
 */
export function paperFor(width: number, duration: number, layout: EcgLayout): { speed: number; pxPerMm: number; rowHeightMm?: number } {
  const marginMm = 45;
  let speed = 25;
  while (speed < 400 && width / (duration * speed * 2 + marginMm) >= 3) speed *= 2;
  const pxPerMm = Math.min(8, Math.max(2, width / (duration * speed + marginMm)));
  return { speed, pxPerMm, ...(layout === '12x1' ? { rowHeightMm: 20 } : {}) };
}

