import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject, ResourceDef } from '../../../src/api/types.js';
import {
  coreResources,
  defaultPodSpec,
  events,
  namespaces,
  nodes,
  pods,
  replicationcontrollers,
  secrets,
  services,
  validatePodSpec,
} from '../../../src/api/core/index.js';
import { parseQuantity } from '../../../src/api/core/validate-helpers.js';
import { base64Error } from '../../../src/api/core/secret.js';

const NOW = Date.parse('2025-01-01T12:00:00Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();

/** Runs defaults and the create strategy as the apiserver does, then returns the create errors. */
function create(def: ResourceDef, obj: KObject): { obj: KObject; errs: string[] } {
  def.defaults?.(obj);
  def.prepareForCreate?.(obj);
  return { obj, errs: (def.validate?.(obj) ?? []).map((e) => `${e.field}: ${e.message}`) };
}

function update(def: ResourceDef, obj: KObject, old: KObject): string[] {
  def.defaults?.(obj);
  def.prepareForUpdate?.(obj, old);
  return [...(def.validate?.(obj) ?? []), ...(def.validateUpdate?.(obj, old) ?? [])].map((e) => `${e.field}: ${e.message}`);
}

const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v));
const pod = (spec: any, extra: KObject = {}): KObject => ({ metadata: { name: 'web-1', namespace: 'default' }, spec, ...extra });

test('coreResources lists every core/v1 resource once', () => {
  const plurals = coreResources.map((d) => d.plural).sort();
  assert.deepEqual(plurals, [
    'componentstatuses',
    'configmaps',
    'endpoints',
    'events',
    'limitranges',
    'namespaces',
    'nodes',
    'persistentvolumeclaims',
    'persistentvolumes',
    'pods',
    'podtemplates',
    'replicationcontrollers',
    'resourcequotas',
    'secrets',
    'serviceaccounts',
    'services',
  ]);
  const cs = coreResources.find((d) => d.plural === 'componentstatuses')!;
  assert.deepEqual(cs.verbs, ['get', 'list']);
  assert.equal(cs.namespaced, false);
  assert.deepEqual(pods.subresources, { status: true, binding: true, ephemeralContainers: true });
  assert.ok(replicationcontrollers.subresources?.scale);
});

test('pod defaults follow Kubernetes defaulting and admission', () => {
  const { obj, errs } = create(
    pods,
    pod({
      containers: [
        {
          name: 'a',
          image: 'nginx',
          ports: [{ containerPort: 80 }],
          livenessProbe: { httpGet: { port: 80 } },
          env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        },
        { name: 'b', image: 'nginx:1.27', resources: { limits: { cpu: '1', memory: '1Gi' } } },
        { name: 'c', image: 'busybox@sha256:abc' },
      ],
    }),
  );
  assert.deepEqual(errs, []);
  const s = obj.spec;
  assert.equal(s.restartPolicy, 'Always');
  assert.equal(s.dnsPolicy, 'ClusterFirst');
  assert.equal(s.schedulerName, 'default-scheduler');
  assert.equal(s.terminationGracePeriodSeconds, 30);
  assert.deepEqual(s.securityContext, {});
  assert.equal(s.enableServiceLinks, true);
  assert.equal(s.serviceAccountName, 'default');
  assert.equal(s.serviceAccount, 'default');
  assert.equal(s.priority, 0);
  assert.equal(s.preemptionPolicy, 'PreemptLowerPriority');
  const [a, b, c] = s.containers;
  assert.equal(a.imagePullPolicy, 'Always');
  assert.equal(b.imagePullPolicy, 'IfNotPresent');
  assert.equal(c.imagePullPolicy, 'IfNotPresent');
  assert.equal(a.terminationMessagePath, '/dev/termination-log');
  assert.equal(a.terminationMessagePolicy, 'File');
  assert.deepEqual(a.resources, {});
  assert.equal(a.ports[0].protocol, 'TCP');
  assert.deepEqual(a.livenessProbe, {
    httpGet: { port: 80, path: '/', scheme: 'HTTP' },
    timeoutSeconds: 1,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 3,
  });
  assert.equal(a.env[0].valueFrom.fieldRef.apiVersion, 'v1');
  assert.deepEqual(b.resources.requests, { cpu: '1', memory: '1Gi' });
  assert.equal(s.tolerations, undefined);
  assert.deepEqual(obj.status, { phase: 'Pending', qosClass: 'Burstable' });
});

test('pod template defaults leave pod-only fields alone', () => {
  const spec: any = { containers: [{ name: 'a', image: 'nginx:latest', resources: { limits: { cpu: '1' } } }] };
  defaultPodSpec(spec);
  assert.equal(spec.restartPolicy, 'Always');
  assert.equal(spec.enableServiceLinks, undefined);
  assert.equal(spec.serviceAccountName, undefined);
  assert.equal(spec.priority, undefined);
  assert.equal(spec.containers[0].imagePullPolicy, 'Always');
  assert.equal(spec.containers[0].resources.requests, undefined);
});

test('QoS classes', () => {
  const qos = (resources: any[]) =>
    create(pods, pod({ containers: resources.map((r, i) => ({ name: `c${i}`, image: 'x:1', resources: r })) })).obj.status.qosClass;
  assert.equal(qos([{}]), 'BestEffort');
  assert.equal(qos([{ limits: { cpu: '500m', memory: '128Mi' } }]), 'Guaranteed');
  assert.equal(qos([{ requests: { cpu: '0.5', memory: '128Mi' }, limits: { cpu: '500m', memory: '128Mi' } }]), 'Guaranteed');
  assert.equal(qos([{ requests: { cpu: '100m' } }]), 'Burstable');
  assert.equal(qos([{ limits: { cpu: '1', memory: '1Gi' } }, {}]), 'Burstable');
});

test('pod validation messages and paths', () => {
  const errs = (spec: any) => create(pods, pod(spec)).errs;
  assert.deepEqual(errs({}), ['spec.containers: Required value']);
  assert.deepEqual(errs({ containers: [{ name: 'Web', image: 'x' }] }), [
    `spec.containers[0].name: Invalid value: "Web": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
  ]);
  assert.deepEqual(errs({ containers: [{ name: 'a' }] }), ['spec.containers[0].image: Required value']);
  assert.deepEqual(
    errs({
      containers: [
        { name: 'a', image: 'x' },
        { name: 'a', image: 'y' },
      ],
    }),
    ['spec.containers[1].name: Duplicate value: "a"'],
  );
  assert.deepEqual(errs({ containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 70000 }] }] }), [
    'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
  ]);
  assert.deepEqual(errs({ containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 80, protocol: 'HTTP' }] }] }), [
    'spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
  ]);
  assert.deepEqual(errs({ restartPolicy: 'Sometimes', containers: [{ name: 'a', image: 'x' }] }), [
    'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
  ]);
  assert.deepEqual(errs({ containers: [{ name: 'a', image: 'x', resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } }] }), [
    'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
  ]);
  assert.deepEqual(errs({ containers: [{ name: 'a', image: 'x', volumeMounts: [{ name: 'data', mountPath: '/d' }] }] }), [
    'spec.containers[0].volumeMounts[0].name: Not found: "data"',
  ]);
  assert.deepEqual(errs({ nodeName: 'Bad_Node', containers: [{ name: 'a', image: 'x' }] }).length, 1);
  // validatePodSpec is reusable with any path.
  const tmpl: any = { containers: [] };
  defaultPodSpec(tmpl);
  assert.deepEqual(
    validatePodSpec(tmpl, 'spec.template.spec').map((e) => e.field),
    ['spec.template.spec.containers'],
  );
});

test('pod updates may change only images, deadlines, tolerations', () => {
  const { obj: old } = create(
    pods,
    pod({ containers: [{ name: 'a', image: 'nginx:1', ports: [{ containerPort: 80 }] }], tolerations: [{ key: 'k', operator: 'Exists' }] }),
  );
  const next = copy(old);
  next.spec.containers[0].image = 'nginx:2';
  next.spec.tolerations.push({ key: 'k2', operator: 'Exists' });
  next.spec.activeDeadlineSeconds = 60;
  assert.deepEqual(update(pods, next, old), []);

  const bad = copy(old);
  bad.spec.containers[0].ports[0].containerPort = 8080;
  const errs = update(pods, bad, old);
  assert.equal(errs.length, 1);
  assert.ok(
    errs[0]!.startsWith(
      'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
    ),
    errs[0],
  );

  const tol = copy(old);
  tol.spec.tolerations = [];
  assert.deepEqual(update(pods, tol, old), ['spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds']);
  const more = copy(old);
  more.spec.containers.push({ name: 'b', image: 'x' });
  assert.deepEqual(update(pods, more, old), ['spec.containers: Forbidden: pod updates may not add or remove containers']);
});

test('pod table rows follow kubectl', () => {
  const row = (p: KObject) => pods.table!.row(p, NOW);
  assert.deepEqual(
    pods.table!.columns.map((c) => [c.name, c.type, c.priority]),
    [
      ['Name', 'string', 0],
      ['Ready', 'string', 0],
      ['Status', 'string', 0],
      ['Restarts', 'string', 0],
      ['Age', 'string', 0],
      ['IP', 'string', 1],
      ['Node', 'string', 1],
      ['Nominated Node', 'string', 1],
      ['Readiness Gates', 'string', 1],
    ],
  );
  const base = { metadata: { name: 'web-1', creationTimestamp: ago(300) }, spec: { containers: [{ name: 'a' }, { name: 'b' }] } };
  assert.deepEqual(row({ ...base, status: { phase: 'Pending' } }), ['web-1', '0/2', 'Pending', '0', '5m', '<none>', '<none>', '<none>', '<none>']);
  const running = {
    ...base,
    spec: { ...base.spec, nodeName: 'n1', readinessGates: [{ conditionType: 'x/ready' }] },
    status: {
      phase: 'Running',
      podIP: '10.42.0.5',
      podIPs: [{ ip: '10.42.0.5' }],
      conditions: [{ type: 'x/ready', status: 'True' }],
      containerStatuses: [
        { name: 'a', ready: true, restartCount: 0, state: { running: {} } },
        {
          name: 'b',
          ready: false,
          restartCount: 3,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1, finishedAt: ago(120) } },
        },
      ],
    },
  };
  assert.deepEqual(row(running), ['web-1', '1/2', 'CrashLoopBackOff', '3 (2m ago)', '5m', '10.42.0.5', 'n1', '<none>', '1/1']);
  assert.equal(row({ ...running, metadata: { ...running.metadata, deletionTimestamp: ago(1) } })[2], 'Terminating');
  const init = {
    ...base,
    spec: { ...base.spec, initContainers: [{ name: 'i' }] },
    status: { phase: 'Pending', initContainerStatuses: [{ name: 'i', state: { running: {} } }] },
  };
  assert.equal(row(init)[2], 'Init:0/1');
  const done = { ...base, status: { phase: 'Succeeded', containerStatuses: [{ name: 'a', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] } };
  assert.equal(row(done)[2], 'Completed');
  const creating = { ...base, status: { phase: 'Pending', containerStatuses: [{ name: 'a', state: { waiting: { reason: 'ContainerCreating' } } }] } };
  assert.equal(row(creating)[2], 'ContainerCreating');
});

test('service defaults, validation and updates', () => {
  const svc = (spec: any): KObject => ({ metadata: { name: 'web', namespace: 'default' }, spec });
  const { obj, errs } = create(services, svc({ selector: { app: 'web' }, ports: [{ port: 80 }] }));
  assert.deepEqual(errs, []);
  assert.deepEqual(obj.spec, {
    selector: { app: 'web' },
    ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
    sessionAffinity: 'None',
    type: 'ClusterIP',
    internalTrafficPolicy: 'Cluster',
    ipFamilyPolicy: 'SingleStack',
    ipFamilies: ['IPv4'],
  });
  assert.deepEqual(obj.status, { loadBalancer: {} });
  const np = create(services, svc({ type: 'NodePort', ports: [{ port: 80 }] })).obj;
  assert.equal(np.spec.externalTrafficPolicy, 'Cluster');

  const errsOf = (spec: any) => create(services, svc(spec)).errs;
  assert.deepEqual(errsOf({}), ['spec.ports: Required value']);
  assert.deepEqual(errsOf({ ports: [{ port: 80 }, { port: 81 }] }), ['spec.ports[0].name: Required value', 'spec.ports[1].name: Required value']);
  assert.deepEqual(errsOf({ type: 'Bogus', ports: [{ port: 80 }] }), [
    'spec.type: Unsupported value: "Bogus": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    'spec.internalTrafficPolicy: Required value',
  ]);
  assert.deepEqual(errsOf({ ports: [{ port: 80, protocol: 'ICMP' }] }), [
    'spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
  ]);
  assert.deepEqual(errsOf({ type: 'ExternalName', externalName: 'example.com' }), []);
  assert.deepEqual(services.validateName!('9web'), [
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  ]);

  const old = create(services, svc({ clusterIP: '10.43.0.10', ports: [{ port: 80 }] })).obj;
  assert.deepEqual(old.spec.clusterIPs, ['10.43.0.10']);
  const kept = copy(old);
  delete kept.spec.clusterIP;
  delete kept.spec.clusterIPs;
  assert.deepEqual(update(services, kept, old), []);
  assert.equal(kept.spec.clusterIP, '10.43.0.10');
  const changed = copy(old);
  changed.spec.clusterIP = '10.43.0.11';
  changed.spec.clusterIPs = ['10.43.0.11'];
  assert.deepEqual(update(services, changed, old), ['spec.clusterIPs[0]: Invalid value: []string{"10.43.0.11"}: may not change once set']);
});

test('service table rows', () => {
  const row = (spec: any, status: any = {}) => services.table!.row({ metadata: { name: 's', creationTimestamp: ago(30) }, spec, status }, NOW);
  assert.deepEqual(row({ type: 'ClusterIP', clusterIPs: ['10.43.0.1'], ports: [{ port: 443, protocol: 'TCP' }] }), [
    's',
    'ClusterIP',
    '10.43.0.1',
    '<none>',
    '443/TCP',
    '30s',
    '<none>',
  ]);
  assert.deepEqual(
    row({
      type: 'NodePort',
      clusterIPs: ['10.43.0.2'],
      ports: [
        { port: 80, nodePort: 30080, protocol: 'TCP' },
        { port: 53, protocol: 'UDP' },
      ],
      selector: { b: '2', a: '1' },
    }),
    ['s', 'NodePort', '10.43.0.2', '<none>', '80:30080/TCP,53/UDP', '30s', 'a=1,b=2'],
  );
  assert.equal(row({ type: 'LoadBalancer', clusterIPs: ['10.43.0.3'], ports: [] })[3], '<pending>');
  assert.equal(row({ type: 'LoadBalancer', ports: [] }, { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } })[3], '192.0.2.1');
  assert.deepEqual(row({ type: 'ExternalName', externalName: 'example.com' }).slice(1, 5), ['ExternalName', '<none>', 'example.com', '<none>']);
});

test('node table rows and validation', () => {
  const node = (extra: any): KObject => ({ metadata: { name: 'n1', creationTimestamp: ago(3600 * 50), labels: {} }, spec: {}, status: {}, ...extra });
  const ready = node({
    metadata: { name: 'n1', creationTimestamp: ago(3600 * 50), labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/master': '' } },
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: [
        { type: 'InternalIP', address: '10.0.0.1' },
        { type: 'Hostname', address: 'n1' },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.32.0',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        kernelVersion: '6.1.0',
        containerRuntimeVersion: 'containerd://1.7.24',
      },
    },
  });
  assert.deepEqual(nodes.table!.row(ready, NOW), [
    'n1',
    'Ready',
    'control-plane,master',
    '2d2h',
    'v1.32.0',
    '10.0.0.1',
    '<none>',
    'Debian GNU/Linux 12 (bookworm)',
    '6.1.0',
    'containerd://1.7.24',
  ]);
  const cordoned = node({ spec: { unschedulable: true }, status: { conditions: [{ type: 'Ready', status: 'False' }] } });
  assert.deepEqual(nodes.table!.row(cordoned, NOW).slice(1, 3), ['NotReady,SchedulingDisabled', '<none>']);
  assert.deepEqual(nodes.table!.row(node({}), NOW).slice(7), ['<unknown>', '<unknown>', '<unknown>']);
  assert.equal(nodes.table!.row(node({}), NOW)[1], 'Unknown');
  assert.equal(nodes.fieldSelectors!['spec.unschedulable']!(cordoned), 'true');
  const errs = nodes.validate!(
    node({
      spec: {
        taints: [
          { key: 'a', effect: 'NoSchedule' },
          { key: 'a', effect: 'NoSchedule' },
          { key: 'b', effect: 'Sometimes' },
        ],
      },
    }),
  );
  assert.deepEqual(
    errs.map((e) => e.field),
    ['spec.taints[1]', 'spec.taints[2].effect'],
  );
  assert.match(errs[0]!.message, /taints must be unique by key and effect pair/);
  assert.equal(errs[1]!.message, 'Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"');
});

test('secrets: stringData, base64, immutability, table', () => {
  const { obj, errs } = create(secrets, { metadata: { name: 's', namespace: 'default' }, data: { a: 'YQ==' }, stringData: { b: 'hello', a: 'x' } });
  assert.deepEqual(errs, []);
  assert.equal(obj.type, 'Opaque');
  assert.deepEqual(obj.data, { a: 'eA==', b: 'aGVsbG8=' });
  assert.equal(obj.stringData, undefined);
  assert.deepEqual(create(secrets, { metadata: { name: 's' }, data: { k: 'not base64!' } }).errs, [
    'data[k]: Invalid value: "<secret contents redacted>": illegal base64 data at input byte 3',
  ]);
  assert.deepEqual(create(secrets, { metadata: { name: 's' }, type: 'kubernetes.io/tls', data: {} }).errs, [
    'data[tls.key]: Required value',
    'data[tls.crt]: Required value',
  ]);
  assert.deepEqual(create(secrets, { metadata: { name: 's' }, data: { 'bad key': 'YQ==' } }).errs.length, 1);
  const old = create(secrets, { metadata: { name: 's' }, data: { a: 'YQ==' }, immutable: true }).obj;
  const next = { ...copy(old), type: 'Other', data: { a: 'Yg==' } };
  assert.deepEqual(update(secrets, next, old), [
    'type: Invalid value: "Other": field is immutable',
    'data: Forbidden: field is immutable when `immutable` is set',
  ]);
  assert.deepEqual(secrets.table!.row({ ...old, metadata: { name: 's', creationTimestamp: ago(10) } }, NOW), ['s', 'Opaque', 1, '10s']);
  assert.equal(secrets.fieldSelectors!.type!(old), 'Opaque');
  assert.equal(base64Error('YWJj'), null);
  assert.equal(base64Error('YWJ'), 'illegal base64 data at input byte 0');
  assert.equal(base64Error('YQ=='), null);
});

test('namespaces: defaults, name rule, table, finalizers kept', () => {
  const { obj, errs } = create(namespaces, { metadata: { name: 'team-a' } });
  assert.deepEqual(errs, []);
  assert.deepEqual(obj.spec, { finalizers: ['kubernetes'] });
  assert.deepEqual(obj.status, { phase: 'Active' });
  assert.equal(obj.metadata!.labels['kubernetes.io/metadata.name'], 'team-a');
  assert.equal(namespaces.validateName!('team.a').length, 1);
  assert.deepEqual(namespaces.table!.row({ ...obj, metadata: { ...obj.metadata, creationTimestamp: ago(86400 * 3) } }, NOW), ['team-a', 'Active', '3d']);
  const next = copy(obj);
  next.spec.finalizers = [];
  update(namespaces, next, obj);
  assert.deepEqual(next.spec.finalizers, ['kubernetes']);
});

test('events table and field selectors', () => {
  const ev: KObject = {
    metadata: { name: 'web-1.17f', namespace: 'default' },
    involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default', fieldPath: 'spec.containers{a}' },
    reason: 'Pulled',
    message: 'Pulled image\n',
    type: 'Normal',
    source: { component: 'kubelet', host: 'n1' },
    firstTimestamp: ago(600),
    lastTimestamp: ago(60),
    count: 4,
  };
  assert.deepEqual(events.validate!(ev), []);
  assert.deepEqual(events.table!.row(ev, NOW), [
    '60s',
    'Normal',
    'Pulled',
    'pod/web-1',
    'spec.containers{a}',
    'kubelet, n1',
    'Pulled image',
    '10m',
    4,
    'web-1.17f',
  ]);
  assert.deepEqual(
    events.table!.columns.filter((c) => c.priority === 0).map((c) => c.name),
    ['Last Seen', 'Type', 'Reason', 'Object', 'Message'],
  );
  assert.equal(events.fieldSelectors!['involvedObject.name']!(ev), 'web-1');
  assert.equal(events.fieldSelectors!.source!(ev), 'kubelet');
  assert.deepEqual(
    events.validate!({ ...ev, involvedObject: { ...ev.involvedObject, namespace: 'other' } }).map((e) => e.field),
    ['involvedObject.namespace'],
  );
});

test('replication controllers default selector and labels from the template', () => {
  const { obj, errs } = create(replicationcontrollers, {
    metadata: { name: 'rc', namespace: 'default' },
    spec: { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'a', image: 'x:1' }] } } },
  });
  assert.deepEqual(errs, []);
  assert.deepEqual(obj.spec.selector, { app: 'web' });
  assert.deepEqual(obj.metadata!.labels, { app: 'web' });
  assert.equal(obj.spec.replicas, 1);
  assert.equal(replicationcontrollers.subresources!.scale!.selector(obj), 'app=web');
  const bad = create(replicationcontrollers, {
    metadata: { name: 'rc' },
    spec: { selector: { app: 'db' }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'a', image: 'x' }] } } },
  }).errs;
  assert.deepEqual(bad, ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`']);
});

test('quantities compare exactly', () => {
  assert.equal(parseQuantity('1'), 1_000_000_000n);
  assert.equal(parseQuantity('500m'), 500_000_000n);
  assert.equal(parseQuantity('1Ki'), 1024n * 1_000_000_000n);
  assert.equal(parseQuantity('1e3'), 1000n * 1_000_000_000n);
  assert.equal(parseQuantity('0.5'), parseQuantity('500m'));
  assert.equal(parseQuantity('1.2.3'), null);
  assert.equal(parseQuantity('abc'), null);
});
