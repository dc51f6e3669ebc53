/**
 * SVG -> PNG without a browser, through resvg (@resvg/resvg-js: Rust resvg,
 * prebuilt binaries shipped inside its npm packages, no install script).
 *
 * Text needs a font file: resvg has no built-in font. svgToPng uses DejaVu
 * Sans when it is installed (Debian/Ubuntu: `apt-get install fonts-dejavu-core`,
 * which puts it in /usr/share/fonts/truetype/dejavu/), else whatever system
 * fonts resvg finds; without any font, text is silently left out of the PNG
 * (the lines and colours still render). `fontFiles` overrides the search.
 *
 * Node only (native module); loaded on first use so that importing ecgx does
 * not load it, and browser bundles can leave this module out.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface SvgToPngOptions {
  /** Zoom factor: output px = SVG px * scale (default 1). */
  scale?: number;
  /** Font files to use instead of searching the system. */
  fontFiles?: string[];
}

/** Where DejaVu Sans lives on the common Linux distributions. */
export const DEJAVU_SANS_PATHS = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/TTF/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf',
];

/** The chart font found on this machine, if any (DejaVu Sans and its bold). */
export function chartFontFiles(): string[] {
  const regular = DEJAVU_SANS_PATHS.find((p) => existsSync(p));
  if (!regular) return [];
  const bold = regular.replace(/DejaVuSans\.ttf$/, 'DejaVuSans-Bold.ttf');
  return existsSync(bold) ? [regular, bold] : [regular];
}

interface ResvgModule {
  Resvg: new (svg: string, opts: object) => { render(): { asPng(): Buffer; width: number; height: number; pixels: Buffer } };
}

let resvg: ResvgModule | undefined;
function loadResvg(): ResvgModule {
  resvg ??= createRequire(import.meta.url)('@resvg/resvg-js') as ResvgModule;
  return resvg;
}

function render(svg: string, opts: SvgToPngOptions): ReturnType<InstanceType<ResvgModule['Resvg']>['render']> {
  const scale = opts.scale ?? 1;
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`svgToPng: scale must be > 0, got ${scale}`);
  const fontFiles = opts.fontFiles ?? chartFontFiles();
  const { Resvg } = loadResvg();
  const r = new Resvg(svg, {
    fitTo: scale === 1 ? { mode: 'original' } : { mode: 'zoom', value: scale },
    // Scanning every system font costs ~100 ms; the chart needs one family.
    font: { loadSystemFonts: fontFiles.length === 0, fontFiles, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
    background: 'white',
  });
  return r.render();
}

/** Rasterises an SVG string to PNG bytes. */
export function svgToPng(svg: string, opts: SvgToPngOptions = {}): Uint8Array {
  return new Uint8Array(render(svg, opts).asPng());
}

/** Rasterises to raw RGBA pixels (row-major, 4 bytes per pixel). */
export function svgToRgba(svg: string, opts: SvgToPngOptions = {}): { width: number; height: number; rgba: Uint8Array } {
  const img = render(svg, opts);
  return { width: img.width, height: img.height, rgba: new Uint8Array(img.pixels) };
}
