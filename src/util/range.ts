/** Numeric ranges of options and flags, and how messages state them. */

export interface NumberBounds {
  integer?: boolean;
  /** Smallest value accepted. */
  min?: number;
  /** Values must be greater than this (an open lower bound, e.g. 0 for a learning rate). */
  above?: number;
  /** Largest value accepted. */
  max?: number;
  /** Unit shown with the range, e.g. 'Hz'. */
  unit?: string;
}

/** The accepted range in words: '1 to 256', '> 0 and <= 10', '>= 1'. */
export function rangeText(b: NumberBounds): string {
  const u = b.unit ? ` ${b.unit}` : '';
  if (b.min !== undefined && b.max !== undefined) return `${b.min} to ${b.max}${u}`;
  const parts = [b.min !== undefined ? `>= ${b.min}` : b.above !== undefined ? `> ${b.above}` : '', b.max !== undefined ? `<= ${b.max}` : ''].filter((p) => p);
  return parts.join(' and ') + u;
}
