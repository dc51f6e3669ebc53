/**
 * Colour arithmetic for the charts: hex <-> sRGB, CIE L*a*b*, colour
 * differences and the Machado et al. (2009) simulation of colour-vision
 * deficiency, used to check that palettes stay distinguishable.
 */

/** An sRGB colour, channels in [0, 1]. */
export interface Rgb {
  r: number;
  g: number;
  b: number;
}

/** A CIE 1976 L*a*b* colour (D65 white). */
export interface Lab {
  l: number;
  a: number;
  b: number;
}

/** Parses `#rgb` or `#rrggbb` (case-insensitive). */
export function parseHex(hex: string): Rgb {
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(hex.trim());
  if (!m) throw new RangeError(`parseHex: expected #rgb or #rrggbb, got '${hex}'`);
  let h = m[1]!;
  if (h.length === 3) h = h[0]! + h[0]! + h[1]! + h[1]! + h[2]! + h[2]!;
  return { r: parseInt(h.slice(0, 2), 16) / 255, g: parseInt(h.slice(2, 4), 16) / 255, b: parseInt(h.slice(4, 6), 16) / 255 };
}

/** Formats a colour as lower-case `#rrggbb`, clamping channels to [0, 1]. */
export function toHex(c: Rgb): string {
  const byte = (v: number): string => Math.round(Math.min(1, Math.max(0, v)) * 255).toString(16).padStart(2, '0');
  return `#${byte(c.r)}${byte(c.g)}${byte(c.b)}`;
}

/** Linear interpolation between two colours in sRGB, `t` in [0, 1]. */
export function mixRgb(a: Rgb, b: Rgb, t: number): Rgb {
  return { r: a.r + (b.r - a.r) * t, g: a.g + (b.g - a.g) * t, b: a.b + (b.b - a.b) * t };
}

function toLinear(v: number): number {
  return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
}

function fromLinear(v: number): number {
  const c = Math.min(1, Math.max(0, v));
  return c <= 0.0031308 ? c * 12.92 : 1.055 * Math.pow(c, 1 / 2.4) - 0.055;
}

/** CIE L*a*b* (D65) of an sRGB colour. */
export function rgbToLab(c: Rgb): Lab {
  const r = toLinear(c.r), g = toLinear(c.g), b = toLinear(c.b);
  // sRGB -> XYZ (D65), IEC 61966-2-1.
  const x = 0.4124564 * r + 0.3575761 * g + 0.1804375 * b;
  const y = 0.2126729 * r + 0.7151522 * g + 0.072175 * b;
  const z = 0.0193339 * r + 0.119192 * g + 0.9503041 * b;
  const f = (t: number): number => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
  const fx = f(x / 0.95047), fy = f(y / 1.0), fz = f(z / 1.08883);
  return { l: 116 * fy - 16, a: 500 * (fx - fy), b: 200 * (fy - fz) };
}

/** CIE 1976 colour difference (Euclidean distance in L*a*b*). About 2.3 is a just-noticeable difference. */
export function deltaE76(p: Rgb, q: Rgb): number {
  const a = rgbToLab(p), b = rgbToLab(q);
  return Math.hypot(a.l - b.l, a.a - b.a, a.b - b.b);
}

/** The three dichromacies (one cone type missing). */
export type ColorVisionDeficiency = 'protanopia' | 'deuteranopia' | 'tritanopia';

// Machado, Oliveira & Fernandes (2009), "A physiologically-based model for
// simulation of color vision deficiency", IEEE TVCG 15(6): severity 1.0
// matrices, applied to linear RGB.
const MACHADO_2009: Record<ColorVisionDeficiency, readonly number[]> = {
  protanopia: [0.152286, 1.052583, -0.204868, 0.114503, 0.786281, 0.099216, -0.003882, -0.048116, 1.051998],
  deuteranopia: [0.367322, 0.860646, -0.227968, 0.280085, 0.672501, 0.047413, -0.01182, 0.04294, 0.968881],
  tritanopia: [1.255528, -0.076749, -0.178779, -0.078411, 0.930809, 0.147602, 0.004733, 0.691367, 0.3039],
};

/** How a colour looks to a viewer with the given dichromacy (Machado 2009, severity 1). */
export function simulateCvd(c: Rgb, kind: ColorVisionDeficiency): Rgb {
  const m = MACHADO_2009[kind];
  const r = toLinear(c.r), g = toLinear(c.g), b = toLinear(c.b);
  return {
    r: fromLinear(m[0]! * r + m[1]! * g + m[2]! * b),
    g: fromLinear(m[3]! * r + m[4]! * g + m[5]! * b),
    b: fromLinear(m[6]! * r + m[7]! * g + m[8]! * b),
  };
}
