import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FieldError, KObject, ResourceDef } from '../../src/api/types.js';
import { appsResources, deployments, statefulsets, daemonsets, selectorString } from '../../src/api/apps/index.js';
import { batchResources, jobs, cronjobs, parseCronSchedule } from '../../src/api/batch/index.js';
import { coordinationResources } from '../../src/api/coordination/index.js';
import { discoveryResources, endpointslices } from '../../src/api/discovery/index.js';
import { eventsResources, coreEventToEventsV1, eventsV1ToCoreEvent } from '../../src/api/events/index.js';
import { networkingResources, ingresses } from '../../src/api/networking/index.js';
import { autoscalingResources, hpaV1ToV2, hpaV2ToV1, horizontalpodautoscalersV2 } from '../../src/api/autoscaling/index.js';
import { policyResources } from '../../src/api/policy/index.js';
import { rbacResources, rolebindings, clusterroles } from '../../src/api/rbac/index.js';
import { storageResources, storageclasses } from '../../src/api/storage/index.js';
import { schedulingResources, priorityclasses } from '../../src/api/scheduling/index.js';

const NOW = Date.parse('2024-06-01T12:00:00Z');
const UID = '0f6c1b54-2f5e-4c1a-9a4e-3b1f6e0d2a10';

function deployment(extra: Record<string, any> = {}): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: UID, creationTimestamp: '2024-06-01T11:55:00Z' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.25' }] } },
      ...extra,
    },
  };
}

/** What the apiserver does on create: defaults, strategy hook, validation. */
function create(def: ResourceDef, obj: KObject): { obj: KObject; errs: FieldError[] } {
  def.defaults?.(obj);
  def.prepareForCreate?.(obj);
  return { obj, errs: def.validate?.(obj) ?? [] };
}

function update(def: ResourceDef, obj: KObject, old: KObject): FieldError[] {
  def.defaults?.(obj);
  def.prepareForUpdate?.(obj, old);
  return [...(def.validate?.(obj) ?? []), ...(def.validateUpdate?.(obj, old) ?? [])];
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));
const fields = (errs: FieldError[]) => errs.map((e) => e.field);

test('every group exports its resources with a table whose rows match the columns', () => {
  const all = [
    ...appsResources,
    ...batchResources,
    ...coordinationResources,
    ...discoveryResources,
    ...eventsResources,
    ...networkingResources,
    ...autoscalingResources,
    ...policyResources,
    ...rbacResources,
    ...storageResources,
    ...schedulingResources,
  ];
  assert.equal(all.length, 22);
  for (const def of all) {
    assert.ok(def.table, `${def.plural} has a table`);
    const row = def.table!.row({ metadata: { name: 'x', creationTimestamp: '2024-06-01T11:00:00Z' } }, NOW);
    assert.equal(row.length, def.table!.columns.length, `${def.plural} row width`);
  }
  const names = (defs: ResourceDef[]) => defs.map((d) => `${d.plural}:${(d.shortNames ?? []).join(',')}`);
  assert.deepEqual(names(appsResources), ['deployments:deploy', 'replicasets:rs', 'statefulsets:sts', 'daemonsets:ds', 'controllerrevisions:']);
  assert.deepEqual(names(batchResources), ['jobs:', 'cronjobs:cj']);
  assert.deepEqual(
    autoscalingResources.map((d) => d.version),
    ['v2', 'v1'],
  );
});

test('deployment defaults', () => {
  const { obj, errs } = create(deployments, deployment());
  assert.deepEqual(errs, []);
  assert.equal(obj.spec.replicas, 1);
  assert.deepEqual(obj.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.equal(obj.spec.revisionHistoryLimit, 10);
  assert.equal(obj.spec.progressDeadlineSeconds, 600);
  assert.equal(obj.spec.template.spec.restartPolicy, 'Always');
  assert.deepEqual(obj.status, {});
  assert.equal(obj.metadata!.generation, 1);
  // Recreate gets no rollingUpdate.
  const rec = create(deployments, deployment({ strategy: { type: 'Recreate' } }));
  assert.deepEqual(rec.obj.spec.strategy, { type: 'Recreate' });
  assert.deepEqual(rec.errs, []);
});

test('deployment validation: selector required, must match the template, field paths', () => {
  const noSel = deployment();
  delete noSel.spec.selector;
  const r1 = create(deployments, noSel);
  assert.ok(r1.errs.some((e) => e.field === 'spec.selector' && e.type === 'FieldValueRequired'));

  const mismatch = create(deployments, deployment({ selector: { matchLabels: { app: 'other' } } }));
  const e = mismatch.errs.find((x) => x.field === 'spec.template.metadata.labels');
  assert.ok(e, JSON.stringify(mismatch.errs));
  assert.equal(e!.message, 'Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`');

  const empty = create(deployments, deployment({ selector: {} }));
  assert.ok(empty.errs.some((x) => x.field === 'spec.selector' && x.message.endsWith('empty selector is invalid for deployment')));

  const bad = deployment();
  bad.spec.template.spec.restartPolicy = 'Never';
  bad.spec.template.spec.containers[0].image = '';
  bad.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } };
  bad.spec.replicas = -1;
  const r2 = create(deployments, bad);
  const f = fields(r2.errs);
  assert.ok(f.includes('spec.replicas'));
  assert.ok(f.includes('spec.template.spec.restartPolicy'));
  assert.ok(f.includes('spec.template.spec.containers[0].image'), JSON.stringify(f));
  assert.ok(f.includes('spec.strategy.rollingUpdate.maxUnavailable'));
  assert.ok(r2.errs.some((x) => x.message === 'Unsupported value: "Never": supported values: "Always"'));
});

test('deployment selector is immutable; annotations bump the generation', () => {
  const old = create(deployments, deployment()).obj;
  const next = clone(old);
  next.spec.selector = { matchLabels: { app: 'web2' } };
  next.spec.template.metadata.labels = { app: 'web2' };
  const errs = update(deployments, next, old);
  assert.deepEqual(errs, [
    {
      type: 'FieldValueInvalid',
      field: 'spec.selector',
      message:
        'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    },
  ]);
  const annotated = clone(old);
  annotated.metadata!.annotations = { note: 'x' };
  assert.deepEqual(update(deployments, annotated, old), []);
  assert.equal(annotated.metadata!.generation, 2);
});

test('deployment table rows and scale selector', () => {
  const { obj } = create(
    deployments,
    deployment({ replicas: 3, selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }] } }),
  );
  obj.spec.template.metadata.labels.tier = 'a';
  obj.status = { readyReplicas: 2, updatedReplicas: 1, availableReplicas: 2 };
  assert.deepEqual(
    deployments.table!.columns.map((c) => [c.name, c.type, c.priority]),
    [
      ['Name', 'string', 0],
      ['Ready', 'string', 0],
      ['Up-to-date', 'string', 0],
      ['Available', 'string', 0],
      ['Age', 'string', 0],
      ['Containers', 'string', 1],
      ['Images', 'string', 1],
      ['Selector', 'string', 1],
    ],
  );
  assert.deepEqual(deployments.table!.row(obj, NOW), ['web', '2/3', 1, 2, '5m', 'nginx', 'nginx:1.25', 'app=web,tier in (a,b)']);
  assert.equal(deployments.subresources!.scale!.selector(obj), 'app=web,tier in (a,b)');
  assert.equal(
    selectorString({
      matchExpressions: [
        { key: 'z', operator: 'Exists' },
        { key: 'a', operator: 'DoesNotExist' },
        { key: 'm', operator: 'NotIn', values: ['x'] },
      ],
    }),
    '!a,m notin (x),z',
  );
});

test('daemonset defaults, template generation and node selector cell', () => {
  const ds = deployment();
  ds.kind = 'DaemonSet';
  ds.spec.template.spec.nodeSelector = { 'kubernetes.io/os': 'linux', disk: 'ssd' };
  const { obj, errs } = create(daemonsets, ds);
  assert.deepEqual(errs, []);
  assert.deepEqual(obj.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  assert.equal(obj.metadata!.annotations!['deprecated.daemonset.template.generation'], '1');
  const next = clone(obj);
  next.spec.template.spec.containers[0].image = 'nginx:1.26';
  assert.deepEqual(update(daemonsets, next, obj), []);
  assert.equal(next.metadata!.annotations!['deprecated.daemonset.template.generation'], '2');
  assert.equal(daemonsets.table!.row(obj, NOW)[6], 'disk=ssd,kubernetes.io/os=linux');
});

test('statefulset defaults and forbidden updates', () => {
  const sts = deployment({ serviceName: 'web' });
  const { obj, errs } = create(statefulsets, sts);
  assert.deepEqual(errs, []);
  assert.equal(obj.spec.podManagementPolicy, 'OrderedReady');
  assert.deepEqual(obj.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
  assert.deepEqual(obj.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
  assert.equal(obj.spec.revisionHistoryLimit, 10);

  const ok = clone(obj);
  ok.spec.replicas = 5;
  ok.spec.ordinals = { start: 2 };
  ok.spec.minReadySeconds = 3;
  ok.spec.template.spec.containers[0].image = 'nginx:1.26';
  ok.spec.persistentVolumeClaimRetentionPolicy = { whenDeleted: 'Delete', whenScaled: 'Retain' };
  assert.deepEqual(update(statefulsets, ok, obj), []);

  const bad = clone(obj);
  bad.spec.serviceName = 'other';
  const es = update(statefulsets, bad, obj);
  assert.deepEqual(es, [
    {
      type: 'FieldValueForbidden',
      field: 'spec',
      message:
        "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    },
  ]);
  assert.deepEqual(statefulsets.table!.row({ ...obj, status: { readyReplicas: 1 } }, NOW).slice(0, 3), ['web', '1/1', '5m']);
});

test('statefulset mounts of claim templates are not unknown volumes', () => {
  const sts = deployment({
    serviceName: 'db',
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
  });
  sts.spec.template.spec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/data' }];
  const { obj, errs } = create(statefulsets, sts);
  assert.deepEqual(errs, []);
  assert.equal(obj.spec.volumeClaimTemplates[0].status.phase, 'Pending');
});

function job(extra: Record<string, any> = {}): KObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'default', uid: UID, creationTimestamp: '2024-06-01T11:59:00Z' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl' }] } }, ...extra },
  };
}

test('job defaults and generated selector', () => {
  const { obj, errs } = create(jobs, job());
  assert.deepEqual(errs, []);
  assert.equal(obj.spec.completions, 1);
  assert.equal(obj.spec.parallelism, 1);
  assert.equal(obj.spec.backoffLimit, 6);
  assert.equal(obj.spec.completionMode, 'NonIndexed');
  assert.equal(obj.spec.suspend, false);
  assert.equal(obj.spec.manualSelector, false);
  assert.equal(obj.spec.podReplacementPolicy, 'TerminatingOrFailed');
  assert.deepEqual(obj.spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': UID } });
  const expected = { 'job-name': 'pi', 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': UID, 'batch.kubernetes.io/controller-uid': UID };
  assert.deepEqual(obj.spec.template.metadata.labels, expected);
  assert.deepEqual(obj.metadata!.labels, expected);
  assert.deepEqual(jobs.table!.row(obj, NOW).slice(0, 5), ['pi', 'Running', '0/1', '', '60s']);

  // A user-chosen selector is refused unless manualSelector is set.
  const manual = create(jobs, job({ selector: { matchLabels: { app: 'x' } } }));
  assert.ok(
    manual.errs.some((e) => e.field === 'spec.selector' && e.message.endsWith('`selector` not auto-generated')),
    JSON.stringify(manual.errs),
  );
  const allowed = job({ manualSelector: true, selector: { matchLabels: { app: 'x' } } });
  allowed.spec.template.metadata = { labels: { app: 'x' } };
  assert.deepEqual(create(jobs, allowed).errs, []);
});

test('job restartPolicy, immutable template, table status', () => {
  const always = job();
  always.spec.template.spec.restartPolicy = 'Always';
  const r = create(jobs, always);
  assert.ok(
    r.errs.some((e) => e.field === 'spec.template.spec.restartPolicy' && e.message === 'Unsupported value: "Always": supported values: "OnFailure", "Never"'),
  );

  const old = create(jobs, job()).obj;
  const next = clone(old);
  next.spec.template.spec.containers[0].image = 'perl:2';
  assert.ok(fields(update(jobs, next, old)).includes('spec.template'));
  // A suspended Job that never started may change its pods' labels and node selector.
  const susp = create(jobs, job({ suspend: true })).obj;
  const relabel = clone(susp);
  relabel.spec.template.metadata.labels.queue = 'a';
  relabel.spec.template.spec.nodeSelector = { pool: 'b' };
  assert.deepEqual(update(jobs, relabel, susp), []);

  const done = {
    ...old,
    status: { succeeded: 1, startTime: '2024-06-01T11:59:00Z', completionTime: '2024-06-01T11:59:30Z', conditions: [{ type: 'Complete', status: 'True' }] },
  };
  assert.deepEqual(jobs.table!.row(done, NOW).slice(1, 4), ['Complete', '1/1', '30s']);
});

test('cronjob schedule validation', () => {
  const cj = (schedule: string, extra: Record<string, any> = {}): KObject => ({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'hello', namespace: 'default', uid: UID },
    spec: { schedule, jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } }, ...extra },
  });
  for (const s of [
    '*/5 * * * *',
    '0 0 * * MON-FRI',
    '@hourly',
    '@daily',
    '@weekly',
    '@monthly',
    '@yearly',
    '@annually',
    '@midnight',
    '0 12 1,15 jan-jun ?',
    '@every 1h30m',
  ])
    assert.deepEqual(create(cronjobs, cj(s)).errs, [], s);
  const msg = (s: string) => create(cronjobs, cj(s)).errs.find((e) => e.field === 'spec.schedule')?.message;
  assert.equal(msg('* * *'), 'Invalid value: "* * *": expected exactly 5 fields, found 3: [* * *]');
  assert.equal(msg('61 * * * *'), 'Invalid value: "61 * * * *": end of range (61) above maximum (59): 61');
  assert.equal(msg('* * * * 8'), 'Invalid value: "* * * * 8": end of range (8) above maximum (6): 8');
  assert.equal(msg('5-2 * * * *'), 'Invalid value: "5-2 * * * *": beginning of range (5) beyond end of range (2): 5-2');
  assert.equal(msg('x * * * *'), 'Invalid value: "x * * * *": failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax');
  assert.equal(msg('@often'), 'Invalid value: "@often": unrecognized descriptor: @often');
  assert.equal(msg(''), 'Required value');
  assert.ok(create(cronjobs, cj('TZ=UTC 0 * * * *')).errs.some((e) => e.message.endsWith('cannot use TZ or CRON_TZ in schedule, use timeZone field instead')));
  assert.ok(create(cronjobs, cj('0 * * * *', { timeZone: 'Mars/Olympus' })).errs.some((e) => e.field === 'spec.timeZone'));
  assert.deepEqual(create(cronjobs, cj('0 * * * *', { timeZone: 'Europe/Berlin' })).errs, []);
  assert.deepEqual(cronjobs.validateName!('a'.repeat(53)), ['must be no more than 52 characters']);

  const { obj } = create(cronjobs, cj('*/5 * * * *'));
  assert.equal(obj.spec.concurrencyPolicy, 'Allow');
  assert.equal(obj.spec.successfulJobsHistoryLimit, 3);
  assert.equal(obj.spec.failedJobsHistoryLimit, 1);
  assert.equal(obj.spec.jobTemplate.spec.completions, undefined);
  assert.deepEqual(cronjobs.table!.row(obj, NOW).slice(1, 6), ['*/5 * * * *', '<none>', 'False', 0, '<none>']);

  const parsed = parseCronSchedule('*/15 9-17 * * 1-5');
  assert.ok(parsed.kind === 'cron' && [...parsed.minute.values].join(',') === '0,15,30,45' && parsed.dom.star && !parsed.dow.star);
});

test('rbac names, roleRef immutability and tables', () => {
  assert.deepEqual(clusterroles.validateName!('system:controller:job-controller'), []);
  const rb: KObject = {
    metadata: { name: 'read', namespace: 'default', creationTimestamp: '2024-06-01T11:00:00Z' },
    roleRef: { kind: 'Role', name: 'reader' },
    subjects: [
      { kind: 'User', name: 'jane' },
      { kind: 'ServiceAccount', name: 'bot', namespace: 'ci' },
    ],
  };
  const { obj, errs } = create(rolebindings, rb);
  assert.deepEqual(errs, []);
  assert.equal(obj.roleRef.apiGroup, 'rbac.authorization.k8s.io');
  const next = clone(obj);
  next.roleRef.name = 'writer';
  assert.deepEqual(update(rolebindings, next, obj), [
    {
      type: 'FieldValueInvalid',
      field: 'roleRef',
      message: 'Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"writer"}: cannot change roleRef',
    },
  ]);
  assert.deepEqual(rolebindings.table!.row(obj, NOW), ['read', 'Role/reader', '60m', 'jane', '', 'ci/bot']);
  assert.deepEqual(clusterroles.table!.row(obj, NOW), ['read', '2024-06-01T11:00:00Z']);
});

test('hpa v1 <-> v2 conversion and table', () => {
  const v1: KObject = {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'default' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 50 },
  };
  const v2 = hpaV1ToV2(v1);
  assert.deepEqual(v2.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }]);
  v2.spec.metrics.push({ type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } });
  const back = hpaV2ToV1(v2);
  assert.equal(back.spec.targetCPUUtilizationPercentage, 50);
  assert.ok(back.metadata!.annotations!['autoscaling.alpha.kubernetes.io/metrics']);
  // Round trip keeps every metric; Kubernetes' order puts the annotation's metrics before the CPU target.
  assert.deepEqual(hpaV1ToV2(back).spec.metrics, [v2.spec.metrics[1], v2.spec.metrics[0]]);
  assert.equal(hpaV1ToV2(back).metadata!.annotations, undefined);
  v2.status = { currentReplicas: 2, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 30 } } }] };
  assert.deepEqual(horizontalpodautoscalersV2.table!.row(v2, NOW).slice(1, 6), ['Deployment/web', 'cpu: 30%/50%, memory: <unknown>/100Mi', '1', 5, 2]);
  assert.deepEqual(create(horizontalpodautoscalersV2, v2).errs, []);
});

test('events conversion keeps every field', () => {
  const core: KObject = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web.1', namespace: 'default' },
    involvedObject: { kind: 'Pod', name: 'web', namespace: 'default' },
    reason: 'Scheduled',
    message: 'assigned',
    source: { component: 'default-scheduler' },
    firstTimestamp: '2024-06-01T11:00:00Z',
    lastTimestamp: '2024-06-01T11:10:00Z',
    count: 3,
    type: 'Normal',
    eventTime: null,
    reportingComponent: 'default-scheduler',
    reportingInstance: 'node-1',
  };
  const v1 = coreEventToEventsV1(core);
  assert.equal(v1.note, 'assigned');
  assert.equal(v1.reportingController, 'default-scheduler');
  assert.deepEqual(v1.regarding, core.involvedObject);
  assert.equal(v1.deprecatedCount, 3);
  assert.deepEqual(eventsV1ToCoreEvent(v1), core);
});

test('smaller groups: ingress, endpointslice, storageclass, priorityclass', () => {
  const ing: KObject = {
    metadata: { name: 'i', namespace: 'default' },
    spec: {
      rules: [{ host: 'a.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
      tls: [{ hosts: ['a.example.com'] }],
    },
  };
  const ir = create(ingresses, ing);
  assert.deepEqual(ir.errs, []);
  assert.deepEqual(ingresses.table!.row(ir.obj, NOW).slice(1, 5), ['<none>', 'a.example.com', '', '80, 443']);
  assert.ok(
    create(ingresses, { metadata: { name: 'j' }, spec: {} }).errs.some(
      (e) => e.field === 'spec' && e.message.includes('either `defaultBackend` or `rules` must be specified'),
    ),
  );

  const es: KObject = { metadata: { name: 's', namespace: 'default' }, addressType: 'IPv4', endpoints: [{ addresses: ['10.42.0.5'] }], ports: [{ port: 80 }] };
  assert.deepEqual(create(endpointslices, es).errs, []);
  assert.equal(es.ports[0].protocol, 'TCP');
  const moved = clone(es);
  moved.addressType = 'IPv6';
  assert.ok(fields(endpointslices.validateUpdate!(moved, es)).includes('addressType'));
  assert.deepEqual(fields(create(endpointslices, { metadata: { name: 't' }, endpoints: [] }).errs), ['addressType']);

  const sc: KObject = {
    metadata: { name: 'local', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: 'rancher.io/local-path',
  };
  assert.deepEqual(create(storageclasses, sc).errs, []);
  assert.deepEqual(storageclasses.table!.row(sc, NOW).slice(0, 5), ['local (default)', 'rancher.io/local-path', 'Delete', 'Immediate', false]);
  const sc2 = clone(sc);
  sc2.provisioner = 'other.io/x';
  assert.deepEqual(fields(storageclasses.validateUpdate!(sc2, sc)), ['provisioner']);

  assert.ok(create(priorityclasses, { metadata: { name: 'system-mine' }, value: 10 }).errs.some((e) => e.field === 'metadata.name'));
  assert.deepEqual(create(priorityclasses, { metadata: { name: 'system-node-critical' }, value: 2000001000 }).errs, []);
  const pc = create(priorityclasses, { metadata: { name: 'high' }, value: 1000 }).obj;
  assert.deepEqual(fields(priorityclasses.validateUpdate!({ ...pc, value: 2 }, pc)), ['value']);
});
