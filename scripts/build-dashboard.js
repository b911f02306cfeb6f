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
  chunkNames: 'chunk-[hash]',
  splitting: true,
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});
const outputs = Object.keys(result.metafile.outputs).filter((f) => !f.endsWith('.map'));
// The entry's own files; the chunks it imports on demand are loaded by the browser when needed.
const js = outputs.find((f) => result.metafile.outputs[f].entryPoint);
const css = result.metafile.outputs[js].cssBundle;
const html = readFileSync(join(ROOT, 'web', 'dashboard', 'index.html'), 'utf8')
  .replace('%JS%', `./${basename(js)}`)
  .replace('%CSS%', css ? `<link rel="stylesheet" href="./${basename(css)}">` : '');
writeFileSync(join(OUT, 'index.html'), html);

const gzipped = (f) => gzipSync(readFileSync(resolve(ROOT, f))).length;
let gz = gzipSync(html).length;
for (const f of outputs) gz += gzipped(f);
// What the first load fetches: the entry, the chunks it imports statically, and its CSS.
const eager = new Set([js]);
for (const f of eager) for (const i of result.metafile.outputs[f].imports) if (i.kind === 'import-statement') eager.add(i.path);
let first = gzipSync(html).length + (css ? gzipped(css) : 0);
for (const f of eager) first += gzipped(f);
const kb = (gz / 1024).toFixed(1);
console.log(
  `dashboard: ${outputs.length} files, ${kb} KB gzipped in all (budget ${BUDGET_GZIP_BYTES / 1024} KB); first load ${(first / 1024).toFixed(1)} KB (${basename(js)}${css ? `, ${basename(css)}` : ''})`,
);
if (gz > BUDGET_GZIP_BYTES) {
  console.error(`dashboard bundle is ${kb} KB gzipped, over the ${BUDGET_GZIP_BYTES / 1024} KB budget`);
  process.exit(1);
}
