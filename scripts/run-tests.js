// Runs the compiled tests under a folder with node's test runner (Node 20 has no globs):
//   node scripts/run-tests.js dist/test --exclude e2e     (npm test)
//   node scripts/run-tests.js dist/test/e2e               (npm run test:e2e)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const root = args[0] ?? 'dist/test';
const excluded = new Set();
for (let i = 1; i < args.length; i++) if (args[i] === '--exclude') excluded.add(args[++i]);

function find(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) return excluded.has(f) ? [] : find(p);
      return p.endsWith('.test.js') ? [p] : [];
    });
}

const files = find(root);
if (files.length === 0) {
  console.log(`no test files under ${root}; nothing to run`);
  process.exit(0);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
