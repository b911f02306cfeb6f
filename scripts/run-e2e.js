// Runs the end-to-end tests (real containers; root, containerd, runc, CNI, iptables).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? find(p) : p.endsWith('.test.js') ? [p] : [];
  });
}

const files = find('dist/test/e2e');
if (files.length === 0) {
  console.log('e2e: no end-to-end test files yet (real containers arrive with the node agent issue); nothing to run');
  process.exit(0);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
