// The container environment against the kubelet's rules: expansion, every valueFrom
// source, envFrom, service links, and the error messages that reach the pod's status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap, Container, Pod, Secret, Service } from 'kubernetes-types/core/v1.js';
import { makeEnvironment, type EnvSources } from '../../../src/kubelet/container/env.js';
import { expand, expandCommandAndArgs, mappingFor } from '../../../src/kubelet/container/expansion.js';
import { serviceEnvVars } from '../../../src/kubelet/container/service-env.js';
import { containerResourceValue, podFieldValue } from '../../../src/kubelet/container/downward.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function pod(containers: Container[], extra: Partial<Pod['spec']> = {}): Pod {
  return {
    metadata: { name: 'web', namespace: 'ns1', uid: 'u-1', labels: { app: 'web', tier: 'x' }, annotations: { note: 'hi "there"' } },
    spec: { nodeName: 'node-a', serviceAccountName: 'sa1', containers, ...extra },
    status: { podIP: '10.42.0.5', podIPs: [{ ip: '10.42.0.5' }, { ip: 'fd00::5' }], hostIP: '192.0.2.1' },
  };
}

function sources(cms: ConfigMap[] = [], secrets: Secret[] = [], services: Service[] = []): EnvSources {
  const find = <T extends { metadata?: { namespace?: string; name?: string } }>(list: T[], ns: string, name: string) =>
    list.find((o) => o.metadata?.namespace === ns && o.metadata?.name === name);
  return {
    configMap: (ns, name) => find(cms, ns, name),
    secret: async (ns, name) => find(secrets, ns, name),
    services: (ns) => services.filter((s) => s.metadata?.namespace === ns),
  };
}

const asObj = (env: { key: string; value: string }[]) => Object.fromEntries(env.map((e) => [e.key, e.value]));

test('expansion: references, $$ escapes, unknown and unclosed references kept', () => {
  const m = mappingFor(
    new Map([
      ['A', 'x'],
      ['B', 'y'],
    ]),
  );
  assert.equal(expand('$(A)-$(B)', m), 'x-y');
  assert.equal(expand('$$(A)', m), '$(A)');
  assert.equal(expand('$(NOPE)', m), '$(NOPE)');
  assert.equal(expand('cost $5 $', m), 'cost $5 $');
  assert.equal(expand('$(A', m), '$(A');
  assert.equal(expand('$$$(A)', m), '$x');
  assert.equal(expand('', m), '');
  assert.deepEqual(
    expandCommandAndArgs(
      ['echo', '$(A)'],
      ['$(B)', '$$(B)'],
      [
        { key: 'A', value: '1' },
        { key: 'B', value: '2' },
      ],
    ),
    { command: ['echo', '1'], args: ['2', '$(B)'] },
  );
});

test('env: values refer to earlier variables, not later ones', async () => {
  const c: Container = {
    name: 'c',
    env: [
      { name: 'A', value: 'a' },
      { name: 'B', value: '$(A)-$(C)' },
      { name: 'C', value: 'c' },
    ],
  };
  const env = asObj(await makeEnvironment(pod([c]), c, { sources: sources() }));
  assert.deepEqual(env, { A: 'a', B: 'a-$(C)', C: 'c' });
});

test('env: fieldRef paths', async () => {
  const paths = [
    'metadata.name',
    'metadata.namespace',
    'metadata.uid',
    "metadata.labels['app']",
    "metadata.annotations['note']",
    'spec.nodeName',
    'spec.serviceAccountName',
    'status.hostIP',
    'status.podIP',
    'status.podIPs',
    'metadata.labels',
  ];
  const c: Container = { name: 'c', env: paths.map((p, i) => ({ name: `V${i}`, valueFrom: { fieldRef: { fieldPath: p } } })) };
  const env = asObj(await makeEnvironment(pod([c]), c, { sources: sources(), hostIPs: ['192.0.2.9'] }));
  assert.deepEqual(Object.values(env).slice(0, 11), [
    'web',
    'ns1',
    'u-1',
    'web',
    'hi "there"',
    'node-a',
    'sa1',
    '192.0.2.9',
    '10.42.0.5',
    '10.42.0.5,fd00::5',
    'app="web"\ntier="x"',
  ]);
  assert.throws(() => podFieldValue(pod([c]), 'spec.bogus'), /unsupported fieldPath: spec.bogus/);
});

test('env: resourceFieldRef with divisors, defaulting limits to node allocatable', async () => {
  const c: Container = {
    name: 'c',
    resources: { limits: { memory: '64Mi' }, requests: { cpu: '250m', memory: '32Mi' } },
    env: [
      { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      { name: 'CPU_LIMIT_M', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
      { name: 'CPU_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.cpu' } } },
      { name: 'CPU_REQ_M', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
      { name: 'MEM_LIMIT_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      { name: 'MEM_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.memory' } } },
      { name: 'EPH', valueFrom: { resourceFieldRef: { resource: 'limits.ephemeral-storage', divisor: '1Gi' } } },
    ],
  };
  const env = asObj(await makeEnvironment(pod([c]), c, { sources: sources(), allocatable: { cpu: '2', memory: '4Gi', 'ephemeral-storage': '10Gi' } }));
  assert.deepEqual(env, { CPU_LIMIT: '2', CPU_LIMIT_M: '2000', CPU_REQ: '1', CPU_REQ_M: '250', MEM_LIMIT_MI: '64', MEM_REQ: String(32 * 2 ** 20), EPH: '10' });
  assert.throws(() => containerResourceValue({ resource: 'limits.gpu' }, pod([c]), c), /unsupported container resource : limits.gpu/);
  const other: Container = { name: 'side', resources: { limits: { cpu: '500m' } } };
  assert.equal(containerResourceValue({ resource: 'limits.cpu', containerName: 'side', divisor: '1m' }, pod([c, other]), c), '500');
});

test('env: configMapKeyRef and secretKeyRef, optional honoured, kubelet error messages', async () => {
  const cm: ConfigMap = { metadata: { namespace: 'ns1', name: 'cfg' }, data: { mode: 'fast' } };
  const sec: Secret = { metadata: { namespace: 'ns1', name: 'creds' }, data: { password: b64('s3cret') } };
  const src = sources([cm], [sec]);
  const c: Container = {
    name: 'c',
    env: [
      { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'mode' } } },
      { name: 'PW', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
      { name: 'OPT1', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'absent', optional: true } } },
      { name: 'OPT2', valueFrom: { secretKeyRef: { name: 'gone', key: 'k', optional: true } } },
    ],
  };
  assert.deepEqual(asObj(await makeEnvironment(pod([c]), c, { sources: src })), { MODE: 'fast', PW: 's3cret' });
  const missingKey: Container = { name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'nokey' } } }] };
  await assert.rejects(makeEnvironment(pod([missingKey]), missingKey, { sources: src }), { message: "couldn't find key nokey in ConfigMap ns1/cfg" });
  const missingSecretKey: Container = { name: 'c', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'user' } } }] };
  await assert.rejects(makeEnvironment(pod([missingSecretKey]), missingSecretKey, { sources: src }), { message: "couldn't find key user in Secret ns1/creds" });
  const missingCm: Container = { name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }] };
  await assert.rejects(makeEnvironment(pod([missingCm]), missingCm, { sources: src }), { message: 'configmap "nope" not found' });
});

test('env: envFrom with prefixes, invalid keys skipped and reported, env overrides envFrom', async () => {
  const cm: ConfigMap = { metadata: { namespace: 'ns1', name: 'cfg' }, data: { A: '1', 'bad key': 'x', '1ST': 'y' } };
  const sec: Secret = { metadata: { namespace: 'ns1', name: 's' }, data: { TOKEN: b64('t') } };
  const c: Container = {
    name: 'c',
    envFrom: [{ configMapRef: { name: 'cfg' } }, { secretRef: { name: 's' }, prefix: 'S_' }, { configMapRef: { name: 'missing', optional: true } }],
    env: [{ name: 'A', value: 'override-$(S_TOKEN)' }],
  };
  const reported: string[] = [];
  const env = asObj(await makeEnvironment(pod([c]), c, { sources: sources([cm], [sec]), onInvalidKeys: (m) => reported.push(m) }));
  assert.deepEqual(env, { A: 'override-t', S_TOKEN: 't' });
  assert.deepEqual(reported, [
    'Keys [1ST, bad key] from the EnvFrom configMap ns1/cfg were skipped since they are considered invalid environment variable names.',
  ]);
  const required: Container = { name: 'c', envFrom: [{ secretRef: { name: 'absent' } }] };
  await assert.rejects(makeEnvironment(pod([required]), required, { sources: sources() }), { message: 'secret "absent" not found' });
});

test('service links: docker-link variables, KUBERNETES_* always, enableServiceLinks=false', async () => {
  const svc = (ns: string, name: string, clusterIP: string, ports: NonNullable<Service['spec']>['ports']): Service => ({
    metadata: { namespace: ns, name },
    spec: { clusterIP, ports },
  });
  const kube = svc('default', 'kubernetes', '10.43.0.1', [{ name: 'https', port: 443, protocol: 'TCP' }]);
  const redis = svc('ns1', 'redis-main', '10.43.0.20', [{ port: 6379 }, { name: 'metrics', port: 9121, protocol: 'UDP' }]);
  const headless = svc('ns1', 'db', 'None', [{ port: 5432 }]);
  assert.deepEqual(asObj(serviceEnvVars([redis])), {
    REDIS_MAIN_SERVICE_HOST: '10.43.0.20',
    REDIS_MAIN_SERVICE_PORT: '6379',
    REDIS_MAIN_SERVICE_PORT_METRICS: '9121',
    REDIS_MAIN_PORT: 'tcp://10.43.0.20:6379',
    REDIS_MAIN_PORT_6379_TCP: 'tcp://10.43.0.20:6379',
    REDIS_MAIN_PORT_6379_TCP_PROTO: 'tcp',
    REDIS_MAIN_PORT_6379_TCP_PORT: '6379',
    REDIS_MAIN_PORT_6379_TCP_ADDR: '10.43.0.20',
    REDIS_MAIN_PORT_9121_UDP: 'udp://10.43.0.20:9121',
    REDIS_MAIN_PORT_9121_UDP_PROTO: 'udp',
    REDIS_MAIN_PORT_9121_UDP_PORT: '9121',
    REDIS_MAIN_PORT_9121_UDP_ADDR: '10.43.0.20',
  });
  assert.equal(asObj(serviceEnvVars([svc('x', 'v6', 'fd00::1', [{ port: 80 }])])).V6_PORT, 'tcp://[fd00::1]:80');
  const c: Container = {
    name: 'c',
    env: [
      { name: 'URL', value: 'http://$(REDIS_MAIN_SERVICE_HOST)' },
      { name: 'KUBERNETES_SERVICE_PORT', value: 'mine' },
    ],
  };
  const src = sources([], [], [kube, redis, headless]);
  const env = asObj(await makeEnvironment(pod([c]), c, { sources: src }));
  assert.equal(env.URL, 'http://10.43.0.20');
  assert.equal(env.KUBERNETES_SERVICE_HOST, '10.43.0.1');
  assert.equal(env.KUBERNETES_SERVICE_PORT, 'mine');
  assert.equal(env.KUBERNETES_SERVICE_PORT_HTTPS, '443');
  assert.equal(env.DB_SERVICE_HOST, undefined);
  const noLinks = asObj(await makeEnvironment(pod([c], { enableServiceLinks: false }), c, { sources: src }));
  assert.equal(noLinks.REDIS_MAIN_SERVICE_HOST, undefined);
  assert.equal(noLinks.URL, 'http://$(REDIS_MAIN_SERVICE_HOST)');
  assert.equal(noLinks.KUBERNETES_SERVICE_HOST, '10.43.0.1');
});
