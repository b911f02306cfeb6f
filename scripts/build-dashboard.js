// Builds the web dashboard (web/dashboard/) into dist/dashboard/: one minified bundle of JS and
// one of CSS, named by content hash, and an index.html naming them. Prints the gzipped size,
// which must stay within the budget.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const OUT = join(ROOT, 'dist', 'dashboard');
const BUDGET_GZIP_BYTES = 300 * 1024;

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const result = await esbuild.build({
  entryPoints: [join(ROOT, 'web', 'dashboard', 'src', 'main.tsx')],
  bundle: true,
  minify: true,
  sourcemap: 'linked',
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: OUT,
  entryNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});
const outputs = Object.keys(result.metafile.outputs).filter((f) => !f.endsWith('.map'));
const js = outputs.find((f) => f.endsWith('.js'));
const css = outputs.find((f) => f.endsWith('.css'));
const html = readFileSync(join(ROOT, 'web', 'dashboard', 'index.html'), 'utf8')
  .replace('%JS%', `./${basename(js)}`)
  .replace('%CSS%', css ? `<link rel="stylesheet" href="./${basename(css)}">` : '');
writeFileSync(join(OUT, 'index.html'), html);

let gz = gzipSync(html).length;
for (const f of outputs) gz += gzipSync(readFileSync(resolve(ROOT, f))).length;
const kb = (gz / 1024).toFixed(1);
console.log(`dashboard: ${outputs.map((f) => basename(f)).join(', ')}, index.html — ${kb} KB gzipped (budget ${BUDGET_GZIP_BYTES / 1024} KB)`);
if (gz > BUDGET_GZIP_BYTES) {
  console.error(`dashboard bundle is ${kb} KB gzipped, over the ${BUDGET_GZIP_BYTES / 1024} KB budget`);
  process.exit(1);
}
