// The README's quick start, read as a newcomer would run it: every shell block runs as
// written (no command after a foreground server in the same block), every image it
// starts exists offline (one of Skiff's built-in images, not pulled for a non-latest tag),
// the components the intro names exist under src/, and DESIGN.md is not presented as a
// file of this repository.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { busyboxImage, httpdImage, pauseImage } from '../../src/images/busybox.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const quickStart = README.slice(README.indexOf('## Quick start'), README.indexOf('\n## ', README.indexOf('## Quick start') + 3));
const blocks = [...quickStart.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) =>
  m[1]!
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter(Boolean),
);

test('no quick start block runs anything after the foreground server', () => {
  assert.ok(blocks.length >= 2, 'the quick start has shell blocks');
  for (const lines of blocks) {
    const server = lines.findIndex((l) => /\bskiff server\b/.test(l));
    if (server < 0) continue;
    assert.equal(server, lines.length - 1, `\`${lines[server]}\` runs in the foreground: nothing may follow it in its block:\n${lines.join('\n')}`);
    assert.doesNotMatch(lines[server]!, /skiff server.*(&&|;)/);
  }
  assert.ok(
    blocks.some((lines) => lines.some((l) => /^npm test\b/.test(l)) && !lines.some((l) => /skiff server/.test(l))),
    'npm test has a block of its own',
  );
});

test('every image the quick start runs is a built-in one, which needs no network', () => {
  const builtin = new Set([busyboxImage(), httpdImage(), pauseImage()].map((i) => i.name));
  const images = blocks.flat().flatMap((l) => [...l.matchAll(/--image[= ](\S+)/g)].map((m) => m[1]!));
  assert.ok(images.length, 'the quick start starts pods');
  for (const image of images) {
    assert.ok(builtin.has(image), `${image} is one of ${[...builtin].join(', ')}`);
    assert.doesNotMatch(image, /:latest$|^[^:]*$/, `${image}: a :latest (or untagged) image is pulled (imagePullPolicy Always)`);
  }
  for (const file of blocks.flat().flatMap((l) => [...l.matchAll(/-f (\S+\.ya?ml)/g)].map((m) => m[1]!))) {
    const manifest = readFileSync(join(ROOT, file), 'utf8');
    for (const m of manifest.matchAll(/image:\s*(\S+)/g)) assert.ok(builtin.has(m[1]!), `${file} uses ${m[1]}, which is not available offline`);
  }
});

test('the intro names only components that exist, and DESIGN.md as outside the repository', () => {
  const intro = README.slice(0, README.indexOf('## Quick start'));
  const folders: Record<string, string> = { DNS: 'dns', ingress: 'ingress', 'service proxy': 'proxy', scheduler: 'scheduler', controllers: 'controllers' };
  for (const [name, folder] of Object.entries(folders)) {
    if (!new RegExp(`\\b${name}\\b`).test(intro)) continue;
    const present = existsSync(join(ROOT, 'src', folder));
    assert.ok(
      present || new RegExp(`${name}[^.]*not there yet`).test(intro),
      `the intro names ${name}, but src/${folder} does not exist and the intro does not say it is missing`,
    );
  }
  assert.equal(existsSync(join(ROOT, 'DESIGN.md')), false);
  for (const para of README.split(/\n\s*\n/).filter((p) => p.includes('DESIGN.md')))
    assert.match(para, /not part\s+of\s+this\s+repository|outside\s+this\s+repository/, `DESIGN.md is mentioned as if it were here:\n${para}`);
});
