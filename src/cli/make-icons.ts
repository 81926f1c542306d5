/**
 * Draws the Teams app icons into appPackage/: color.png (192×192, a rounded square in the accent
 * colour with a white three-slider "tuning" glyph) and outline.png (32×32, the same glyph in pure
 * white on a fully transparent background, as Teams requires for the outline icon).
 *
 * The shapes are distance functions sampled 8×8 per pixel, so edges are anti-aliased without a
 * drawing library. Run it after changing the design: `node -r @swc-node/register src/cli/make-icons.ts`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';

/** The manifest's accentColor; the colour icon's background. */
export const ACCENT = '#4F52B2';

const SUPERSAMPLE = 8;

type Rgb = readonly [number, number, number];

function hexToRgb(hex: string): Rgb {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`not a #rrggbb colour: ${hex}`);
  return [parseInt(m[1] ?? '0', 16), parseInt(m[2] ?? '0', 16), parseInt(m[3] ?? '0', 16)];
}

/** Signed distance from (x, y) to a capsule (a segment from a to b, of radius r); negative inside. */
function capsule(x: number, y: number, ax: number, ay: number, bx: number, by: number, r: number): number {
  const px = x - ax;
  const py = y - ay;
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, (px * dx + py * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - dx * t, py - dy * t) - r;
}

function circle(x: number, y: number, cx: number, cy: number, r: number): number {
  return Math.hypot(x - cx, y - cy) - r;
}

/** Signed distance to a rounded square filling [0, size]², corner radius r. */
function roundedSquare(x: number, y: number, size: number, r: number): number {
  const half = size / 2;
  const qx = Math.abs(x - half) - (half - r);
  const qy = Math.abs(y - half) - (half - r);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}

/**
 * The glyph in unit coordinates (0..1 across its box): three slider tracks, each with a ring-shaped
 * knob at a different position, like a mixing desk being tuned. True where the glyph is drawn.
 */
function glyphAt(u: number, v: number, weights: { track: number; knob: number; hole: number }): boolean {
  const rows: Array<[number, number]> = [
    [0.2, 0.36],
    [0.5, 0.68],
    [0.8, 0.28],
  ];
  for (const [row, knobX] of rows) {
    if (circle(u, v, knobX, row, weights.hole) <= 0) return false;
  }
  for (const [row, knobX] of rows) {
    if (circle(u, v, knobX, row, weights.knob) <= 0) return true;
    if (capsule(u, v, 0.06, row, 0.94, row, weights.track / 2) <= 0) return true;
  }
  return false;
}

/** Fraction (0..1) of the pixel (px, py) for which inside() holds. */
function coverage(px: number, py: number, inside: (x: number, y: number) => boolean): number {
  let hits = 0;
  for (let i = 0; i < SUPERSAMPLE; i++) {
    for (let j = 0; j < SUPERSAMPLE; j++) {
      if (inside(px + (i + 0.5) / SUPERSAMPLE, py + (j + 0.5) / SUPERSAMPLE)) hits++;
    }
  }
  return hits / (SUPERSAMPLE * SUPERSAMPLE);
}

/** The 192×192 full-colour icon. */
export function renderColorIcon(accent: string = ACCENT): PNG {
  const size = 192;
  const [ar, ag, ab] = hexToRgb(accent);
  const png = new PNG({ width: size, height: size });
  // The glyph sits in the central 112 px, inside Teams' safe area for the colour icon.
  const box = { x: 40, y: 40, size: 112 };
  const weights = { track: 0.085, knob: 0.14, hole: 0.065 };
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const bg = coverage(x, y, (sx, sy) => roundedSquare(sx, sy, size, 40) <= 0);
      const fg = coverage(x, y, (sx, sy) => glyphAt((sx - box.x) / box.size, (sy - box.y) / box.size, weights));
      const i = (y * size + x) * 4;
      png.data[i] = Math.round(ar + (255 - ar) * fg);
      png.data[i + 1] = Math.round(ag + (255 - ag) * fg);
      png.data[i + 2] = Math.round(ab + (255 - ab) * fg);
      png.data[i + 3] = Math.round(255 * bg);
    }
  }
  return png;
}

/** The 32×32 outline icon: every pixel pure white, the glyph carried by alpha alone. */
export function renderOutlineIcon(): PNG {
  const size = 32;
  const png = new PNG({ width: size, height: size });
  const box = { x: 1, y: 1, size: 30 };
  const weights = { track: 0.09, knob: 0.155, hole: 0.07 };
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const fg = coverage(x, y, (sx, sy) => glyphAt((sx - box.x) / box.size, (sy - box.y) / box.size, weights));
      const i = (y * size + x) * 4;
      png.data[i] = 255;
      png.data[i + 1] = 255;
      png.data[i + 2] = 255;
      png.data[i + 3] = Math.round(255 * fg);
    }
  }
  return png;
}

/** Writes both icons into dir (appPackage/ by default) and returns their paths. */
export function writeIcons(dir: string = path.resolve(__dirname, '..', '..', 'appPackage')): { color: string; outline: string } {
  mkdirSync(dir, { recursive: true });
  const color = path.join(dir, 'color.png');
  const outline = path.join(dir, 'outline.png');
  writeFileSync(color, PNG.sync.write(renderColorIcon(), { colorType: 6 }));
  writeFileSync(outline, PNG.sync.write(renderOutlineIcon(), { colorType: 6 }));
  return { color, outline };
}

if (require.main === module) {
  const written = writeIcons();
  console.log(`wrote ${path.relative(process.cwd(), written.color)} (192×192) and ${path.relative(process.cwd(), written.outline)} (32×32)`);
}
