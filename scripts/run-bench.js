// npm run bench -- <name>: runs bench/<name> (compiled), which prints a table and writes bench/results/<name>.json.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

// Arguments starting with `--` are flags handed to each bench, not bench names.
const names = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const available = existsSync('dist/bench')
  ? readdirSync('dist/bench')
      .filter((f) => f.endsWith('.js') || !f.includes('.'))
      .map((f) => f.replace(/\.js$/, ''))
  : [];
if (names.length === 0) {
  console.log(`usage: npm run bench -- <name>   (available: ${available.join(', ') || 'none'})`);
  process.exit(2);
}
for (const name of names) {
  const file = existsSync(`dist/bench/${name}.js`) ? `dist/bench/${name}.js` : `dist/bench/${name}/index.js`;
  if (!existsSync(file)) {
    console.error(`no benchmark named ${name} (available: ${available.join(', ')})`);
    process.exit(2);
  }
  const r = spawnSync(process.execPath, ['--expose-gc', file, ...flags], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
