/**
 * Builds the tab's bundle with esbuild: src/dashboard/web/main.tsx → build/dashboard/assets/app-[hash].js
 * (+ css), and the HTML shell naming them. `npm start` runs it first (prestart, src/cli/build-dashboard.ts) and the tests build it
 * once (jest global setup); build output is never committed.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { build } from 'esbuild';

export const DASHBOARD_BUILD_DIR = path.resolve(__dirname, '../../build/dashboard');
const WEB = path.resolve(__dirname, 'web');

export interface BuildResult {
  dir: string;
  script: string;
  styles: string[];
  /** Every script and style sheet, raw and gzipped. */
  bytes: number;
  gzipBytes: number;
}

/** Bundles the pages (minified, no source maps unless asked) and writes the shell. */
export async function buildDashboard(options: { outDir?: string; sourcemap?: boolean } = {}): Promise<BuildResult> {
  const dir = options.outDir ?? DASHBOARD_BUILD_DIR;
  await rm(dir, { recursive: true, force: true });
  await mkdir(path.join(dir, 'assets'), { recursive: true });
  const result = await build({
    entryPoints: { app: path.join(WEB, 'main.tsx') },
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome110', 'edge110', 'firefox115', 'safari16'],
    outdir: path.join(dir, 'assets'),
    entryNames: '[name]-[hash]',
    chunkNames: '[name]-[hash]',
    splitting: true,
    sourcemap: options.sourcemap ? 'linked' : false,
    metafile: true,
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
    legalComments: 'none',
  });
  const outputs = Object.entries(result.metafile.outputs);
  const entry = outputs.find(([, o]) => o.entryPoint?.endsWith('main.tsx'));
  if (!entry) throw new Error('esbuild produced no entry bundle');
  const name = (file: string) => path.basename(file);
  const styles = outputs.filter(([f]) => f.endsWith('.css')).map(([f]) => name(f));
  const template = await readFile(path.join(WEB, 'index.html'), 'utf8');
  const html = template
    .replace('<!--styles-->', styles.map((s) => `<link rel="stylesheet" href="/dashboard/assets/${s}">`).join(''))
    .replace('<!--script-->', `<script type="module" src="/dashboard/assets/${name(entry[0])}"></script>`);
  await writeFile(path.join(dir, 'index.html'), html);
  // Precompressed copies, served to browsers that accept gzip (all do): no compression per request.
  let gzipBytes = 0;
  for (const [file] of outputs.filter(([f]) => f.endsWith('.js') || f.endsWith('.css'))) {
    const gz = gzipSync(await readFile(file), { level: 9 });
    gzipBytes += gz.length;
    await writeFile(`${file}.gz`, gz);
  }
  const bytes = outputs.filter(([f]) => !f.endsWith('.map')).reduce((a, [, o]) => a + o.bytes, 0);
  return { dir, script: name(entry[0]), styles, bytes, gzipBytes };
}
