// Writes src/apiserver/protobuf/wire.generated.ts and wire/*.generated.ts: the Kubernetes protobuf wire format of every
// built-in kind Skiff serves, as data the codec in src/apiserver/protobuf walks.
//
// Usage (after `npx tsc -p tsconfig.json`, which builds the registry this reads):
//   node scripts/gen-protobuf.js <k8s.io/api dir> <k8s.io/apimachinery dir> <k8s.io/apiextensions-apiserver dir> <k8s.io/metrics dir>
//
// Sources, read from checkouts of those four repositories:
// - generated.proto of each package: message names, field numbers, proto types, repeated, map;
// - the Go struct tags of the same package (`json:"…" protobuf:"…"`): the JSON name of each
//   numbered field, omitempty, whether it is a pointer, and whether it is inlined in JSON;
// - Skiff's resource registry (dist/) and the aggregated metrics.k8s.io API it serves in
//   process: which group/version/kinds are served, hence which messages are reachable and kept.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const OUT = 'src/apiserver/protobuf/wire.generated.ts';
const [apiDir, machineryDir, extensionsDir, metricsDir] = process.argv.slice(2);
if (!apiDir || !machineryDir || !extensionsDir || !metricsDir) {
  console.error('usage: node scripts/gen-protobuf.js <k8s.io/api dir> <k8s.io/apimachinery dir> <k8s.io/apiextensions-apiserver dir> <k8s.io/metrics dir>');
  process.exit(2);
}

/** Proto package → directory holding its generated.proto and Go sources. */
function packageDir(pkg) {
  if (pkg.startsWith('k8s.io.api.')) return path.join(apiDir, ...pkg.slice('k8s.io.api.'.length).split('.'));
  if (pkg.startsWith('k8s.io.apimachinery.')) return path.join(machineryDir, ...pkg.slice('k8s.io.apimachinery.'.length).split('.'));
  if (pkg.startsWith('k8s.io.apiextensions_apiserver.')) return path.join(extensionsDir, ...pkg.slice('k8s.io.apiextensions_apiserver.'.length).split('.'));
  if (pkg.startsWith('k8s.io.metrics.')) return path.join(metricsDir, ...pkg.slice('k8s.io.metrics.'.length).split('.'));
  throw new Error(`no source directory known for proto package ${pkg}`);
}

/** Proto package + message → OpenAPI definition name, the names Skiff's schemas use. */
const defName = (pkg, msg) => `io.${pkg.replace(/^k8s\.io\./, 'k8s.').replace('apiextensions_apiserver', 'apiextensions-apiserver')}.${msg}`;

/** Group/version of the API → proto package of its types. */
function packageOf(group, version) {
  if (group === 'apiextensions.k8s.io') return `k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.${version}`;
  if (group === 'meta.k8s.io') return `k8s.io.apimachinery.pkg.apis.meta.${version}`;
  if (group === 'metrics.k8s.io') return `k8s.io.metrics.pkg.apis.metrics.${version}`;
  return `k8s.io.api.${group === '' ? 'core' : group.split('.')[0]}.${version}`;
}

const parsedPackages = new Map();

/** Messages of one generated.proto: name → [{ name, number, type, label }]. */
function parseProto(pkg) {
  const file = path.join(packageDir(pkg), 'generated.proto');
  const text = fs.readFileSync(file, 'utf8');
  const messages = new Map();
  let current;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    const open = /^message (\w+) \{$/.exec(line);
    if (open) {
      current = [];
      messages.set(open[1], current);
      continue;
    }
    if (line === '}') {
      current = undefined;
      continue;
    }
    if (!current || line === '') continue;
    const mapField = /^map<\s*([\w.]+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+);$/.exec(line);
    if (mapField) {
      if (mapField[1] !== 'string') throw new Error(`${file}: map key ${mapField[1]} is not a string`);
      current.push({ name: mapField[3], number: Number(mapField[4]), type: mapField[2], label: 'map' });
      continue;
    }
    const field = /^(optional|repeated|required)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+);$/.exec(line);
    if (field) current.push({ name: field[3], number: Number(field[4]), type: field[2], label: field[1] });
    else if (!/^(option|reserved|oneof)\b/.test(line)) throw new Error(`${file}: cannot read "${line}"`);
  }
  return messages;
}

/** Go structs of one package with protobuf tags: name → Map(number → { json, omitempty, pointer, inline }), and named slice types. */
function parseGo(pkg) {
  const dir = packageDir(pkg);
  const structs = new Map();
  const namedSlices = new Set();
  for (const f of fs.readdirSync(dir)) {
    if (!f.endsWith('.go') || f.endsWith('_test.go') || f.startsWith('zz_generated') || f.endsWith('.pb.go')) continue;
    let current;
    for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      const open = /^type (\w+) struct \{/.exec(line);
      if (open) {
        current = new Map();
        structs.set(open[1], current);
        continue;
      }
      const slice = /^type (\w+) \[\]/.exec(line);
      if (slice) namedSlices.add(slice[1]);
      if (line.startsWith('}')) current = undefined;
      if (!current) continue;
      const tick = line.indexOf('`');
      if (tick < 0) continue;
      const tags = line.slice(tick);
      const pb = /protobuf:"\w+,(\d+),/.exec(tags);
      if (!pb) continue;
      const words = line.slice(0, tick).trim().split(/\s+/);
      const goType = words.length === 1 ? words[0] : words[1];
      const json = /json:"([^"]*)"/.exec(tags)?.[1] ?? '';
      const [jsonName, ...opts] = json.split(',');
      current.set(Number(pb[1]), {
        json: jsonName,
        omitempty: opts.includes('omitempty'),
        pointer: goType.startsWith('*'),
        // Go inlines an embedded struct only when its tag gives it no name.
        inline: opts.includes('inline') || (words.length === 1 && jsonName === ''),
      });
    }
  }
  return { structs, namedSlices };
}

function loadPackage(pkg) {
  let p = parsedPackages.get(pkg);
  if (!p) {
    p = { messages: parseProto(pkg), ...parseGo(pkg) };
    parsedPackages.set(pkg, p);
  }
  return p;
}

const SCALARS = new Set(['string', 'bytes', 'bool', 'int32', 'int64', 'uint32', 'uint64', 'double', 'float']);
// Flags of a field, as the codec reads them.
const REPEATED = 1;
const MAP = 2;
const POINTER = 4;
const OMITEMPTY = 8;
const INLINE = 16;

const messages = new Map(); // definition name → fields
const lists = new Set(); // definition names whose JSON form is their single `items` list

/** Adds a message and every message it reaches; returns its definition name. */
function addMessage(pkg, name) {
  const def = defName(pkg, name);
  if (messages.has(def)) return def;
  const p = loadPackage(pkg);
  const fields = p.messages.get(name);
  if (!fields) throw new Error(`no message ${name} in ${pkg}`);
  const out = [];
  messages.set(def, out);
  if (p.namedSlices.has(name)) lists.add(def);
  const goFields = p.structs.get(name);
  for (const f of fields) {
    let type = f.type;
    if (!SCALARS.has(type)) {
      const full = type.replace(/^\./, '');
      const dot = full.lastIndexOf('.');
      type = dot < 0 ? addMessage(pkg, full) : addMessage(full.slice(0, dot), full.slice(dot + 1));
    }
    const go = goFields?.get(f.number);
    let flags = f.label === 'repeated' ? REPEATED : f.label === 'map' ? MAP : 0;
    if (go?.pointer) flags |= POINTER;
    if (go?.omitempty) flags |= OMITEMPTY;
    // An embedded scalar (metav1.Duration's time.Duration) is not a JSON object to inline: such
    // types have their own JSON form.
    const inline = go?.inline && !SCALARS.has(f.type);
    if (inline) flags |= INLINE;
    // Fields hidden from JSON (`json:"-"`) belong to types with their own JSON form; they keep the proto name.
    out.push([go && !inline && go.json !== '-' && go.json !== '' ? go.json : f.name, f.number, type, flags]);
  }
  out.sort((a, b) => a[1] - b[1]);
  return def;
}

const { builtinRegistry } = await import(pathToFileURL(path.resolve('dist/src/api/builtin.js')).href);
const { resourceList } = await import(pathToFileURL(path.resolve('dist/src/apiserver/discovery.js')).href);
const registry = builtinRegistry();
const kinds = new Map(); // `${apiVersion}/${kind}` → definition name
const missing = [];
function addKind(group, version, kind) {
  const apiVersion = group ? `${group}/${version}` : version;
  const key = `${apiVersion}/${kind}`;
  if (kinds.has(key)) return;
  const pkg = packageOf(group, version);
  if (!loadPackage(pkg).messages.has(kind)) return missing.push(key);
  kinds.set(key, addMessage(pkg, kind));
}
for (const { name, versions } of registry.groups()) {
  for (const version of versions) {
    for (const r of resourceList(registry, name, version).resources) {
      addKind(r.group ?? name, r.version ?? version, r.kind);
      if (!r.name.includes('/') && r.verbs.includes('list')) addKind(name, version, `${r.kind}List`);
    }
  }
}
// metrics.k8s.io is served by an in-process aggregated API, outside the registry; metrics-server
// answers its kinds in protobuf too (kubectl top asks for it).
const { MetricsApi } = await import(pathToFileURL(path.resolve('dist/src/metrics/api.js')).href);
const metricsApi = new MetricsApi({});
for (const version of metricsApi.versions) {
  for (const r of metricsApi.resources()) {
    addKind(metricsApi.group, version, r.kind);
    if (r.verbs.includes('list')) addKind(metricsApi.group, version, `${r.kind}List`);
  }
}
// Options and Status travel with every group's requests and responses.
for (const kind of ['Status', 'DeleteOptions', 'WatchEvent', 'List']) addKind('meta.k8s.io', 'v1', kind);
// The envelope every protobuf body travels in.
const envelope = addMessage('k8s.io.apimachinery.pkg.runtime', 'Unknown');

const HEADER = [
  '// Generated by scripts/gen-protobuf.js from Kubernetes generated.proto files, the Go struct tags',
  '// of the same packages and the kinds Skiff serves. Do not edit; regenerate with',
  '//   npx tsc -p tsconfig.json && node scripts/gen-protobuf.js <k8s.io/api> <k8s.io/apimachinery> <k8s.io/apiextensions-apiserver> <k8s.io/metrics>',
];

/** Definition name → its package's file stem: io.k8s.api.apps.v1.Deployment → apps-v1, …meta.v1.Time → meta-v1. */
function stemOf(def) {
  const pkg = def.split('.').slice(0, -1);
  const last = pkg[pkg.length - 1];
  return /^v\d/.test(last) ? `${pkg[pkg.length - 2]}-${last}` : last;
}
const constOf = (stem) => stem.toUpperCase().replace(/[^A-Z0-9]/g, '_');

// One file of messages per package (the wire format of one API group/version), and the index
// that names the kinds and merges them.
const byStem = new Map();
for (const [name, fields] of [...messages].sort(([a], [b]) => a.localeCompare(b))) {
  const stem = stemOf(name);
  const pkg = name.split('.').slice(0, -1).join('.');
  const entry = byStem.get(stem) ?? { pkg, lines: [] };
  if (entry.pkg !== pkg) throw new Error(`packages ${entry.pkg} and ${pkg} would share the file wire/${stem}.generated.ts`);
  entry.lines.push(`  '${name}': [${fields.map(([j, n, t, f]) => `['${j}', ${n}, '${t}', ${f}]`).join(', ')}],`);
  byStem.set(stem, entry);
}
const DIR = 'src/apiserver/protobuf/wire';
fs.rmSync(DIR, { recursive: true, force: true });
fs.mkdirSync(DIR, { recursive: true });
const written = [OUT];
for (const [stem, { pkg, lines }] of byStem) {
  const file = path.join(DIR, `${stem}.generated.ts`);
  written.push(file);
  fs.writeFileSync(
    file,
    [
      ...HEADER,
      `// The messages of ${pkg}.`,
      '',
      "import type { WireField } from '../wire-field.js';",
      '',
      `export const ${constOf(stem)}: Readonly<Record<string, readonly WireField[]>> = {`,
      ...lines,
      '};',
      '',
    ].join('\n'),
  );
}
const stems = [...byStem.keys()].sort();

const body = [
  ...HEADER,
  '// Pure data: a field is [JSON name, number, scalar type or definition name, flags]',
  `// (flags: ${REPEATED} repeated, ${MAP} map with string keys, ${POINTER} Go pointer, ${OMITEMPTY} omitempty, ${INLINE} inlined in JSON);`,
  '// the messages themselves are in wire/, a file per package.',
  `// Served kinds with no protobuf message in Kubernetes either: ${missing.sort().join(', ') || 'none'}.`,
  '',
  ...stems.map((stem) => `import { ${constOf(stem)} } from './wire/${stem}.generated.js';`),
  '',
  "import type { WireField } from './wire-field.js';",
  '',
  "export type { WireField } from './wire-field.js';",
  '',
  '/** "<apiVersion>/<kind>" → definition name of its message. */',
  'export const KIND_MESSAGES: Readonly<Record<string, string>> = {',
  ...[...kinds].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `  '${k}': '${v}',`),
  '};',
  '',
  `export const ENVELOPE = '${envelope}';`,
  '',
  '/** Messages whose JSON form is the list in their `items` field (Go named slice types). */',
  `export const LIST_MESSAGES: ReadonlySet<string> = new Set([${[...lists]
    .sort()
    .map((d) => `'${d}'`)
    .join(', ')}]);`,
  '',
  'export const MESSAGES: Readonly<Record<string, readonly WireField[]>> = {',
  ...stems.map((stem) => `  ...${constOf(stem)},`),
  '};',
  '',
];
fs.writeFileSync(OUT, body.join('\n'));
// In the repository's own format, so a regeneration from the same sources changes nothing.
spawnSync('npx', ['biome', 'format', '--write', ...written], { stdio: 'inherit' });
console.log(
  `${OUT} and ${byStem.size} files in ${DIR}: ${kinds.size} kinds, ${messages.size} messages; no message in Kubernetes for ${missing.join(', ') || 'none'}`,
);
