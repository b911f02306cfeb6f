// Guards the order of folders under src/: a folder imports only folders on lower floors,
// never one beside it or above it, so no two folders can import each other. This table is
// the one place the order is written (DESIGN.md's folder list describes the same floors).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Floors from the ground up. A folder may import the folders of every floor below its own. */
export const FLOORS: readonly (readonly string[])[] = [
  ['util'],
  ['api', 'storage'],
  ['client', 'images'],
  ['apiserver', 'controllers', 'scheduler', 'kubelet', 'proxy', 'dns', 'ingress', 'metrics'],
  ['cli'],
];

/** Folders that, whatever the floors say, only these folders may import: only the apiserver touches the store. */
export const ONLY_IMPORTED_BY: Readonly<Record<string, readonly string[]>> = {
  storage: ['apiserver', 'cli'],
};

const floorOf = new Map<string, number>(FLOORS.flatMap((folders, i) => folders.map((f) => [f, i] as const)));

/** The specifiers a TypeScript file imports: import/export … from, import(), import '…'. */
export function importsOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

/**
 * Every import in `files` (paths relative to src/, POSIX separators, → source) that breaks the
 * order, as "from → to: why". Only relative imports matter: packages are not folders of src/.
 */
export function violations(files: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [path, source] of files) {
    const from = path.split('/')[0]!;
    if (!path.includes('/')) {
      out.push(`${path}: a file directly in src/ belongs to no folder`);
      continue;
    }
    if (!floorOf.has(from)) {
      out.push(`${path}: folder ${from}/ has no floor in FLOORS`);
      continue;
    }
    for (const spec of importsOf(source)) {
      if (!spec.startsWith('.')) continue;
      const target = posix.normalize(posix.join(posix.dirname(path), spec));
      const where = `${path} → ${target}`;
      if (target.startsWith('../')) {
        out.push(`${where}: imports from outside src/`);
        continue;
      }
      const to = target.split('/')[0]!;
      if (to === from) continue;
      const a = floorOf.get(from)!;
      const b = floorOf.get(to);
      if (b === undefined || !target.includes('/')) out.push(`${where}: ${to} is not a folder with a floor in FLOORS`);
      else if (b === a) out.push(`${where}: ${from}/ and ${to}/ are on the same floor; move what they share down a floor`);
      else if (b > a) out.push(`${where}: ${to}/ is above ${from}/`);
      else if (ONLY_IMPORTED_BY[to] && !ONLY_IMPORTED_BY[to].includes(from)) out.push(`${where}: only ${ONLY_IMPORTED_BY[to].join(', ')} may import ${to}/`);
    }
  }
  return out;
}

function sourceTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) files.set(relative(dir, p).split(sep).join('/'), readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return files;
}

// dist/test/structure/ → the repository's src/
const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src');

test('every folder of src/ imports only folders on lower floors', () => {
  const files = sourceTree(SRC);
  assert.ok(files.size > 100, `expected the source tree at ${SRC}, found ${files.size} files`);
  assert.deepEqual(violations(files), []);
});

test('the checker finds imports upward, sideways, out of src/, into the store, and unknown folders', () => {
  const files = new Map([
    ['util/ok.ts', "import { x } from 'node:fs';\nimport { y } from './other.js';"],
    ['api/ok.ts', "import type { Logger } from '../util/log.js';"],
    ['kubelet/a/up.ts', "import { main } from '../../cli/main.js';"],
    ['kubelet/side.ts', "export { Scheduler } from '../scheduler/index.js';"],
    ['scheduler/lazy.ts', "const m = await import('../controllers/manager.js');"],
    ['util/up.ts', "import type { KObject } from '../api/types.js';"],
    ['controllers/store.ts', "import type { Store } from '../storage/store.js';"],
    ['apiserver/store.ts', "import type { Store } from '../storage/store.js';"],
    ['client/out.ts', "import '../../test/helpers/x.js';"],
    ['client/new.ts', "import { z } from '../newfolder/z.js';"],
    ['stray.ts', ''],
  ]);
  assert.deepEqual(violations(files), [
    'kubelet/a/up.ts → cli/main.js: cli/ is above kubelet/',
    'kubelet/side.ts → scheduler/index.js: kubelet/ and scheduler/ are on the same floor; move what they share down a floor',
    'scheduler/lazy.ts → controllers/manager.js: scheduler/ and controllers/ are on the same floor; move what they share down a floor',
    'util/up.ts → api/types.js: api/ is above util/',
    'controllers/store.ts → storage/store.js: only apiserver, cli may import storage/',
    'client/out.ts → ../test/helpers/x.js: imports from outside src/',
    'client/new.ts → newfolder/z.js: newfolder is not a folder with a floor in FLOORS',
    'stray.ts: a file directly in src/ belongs to no folder',
  ]);
});
