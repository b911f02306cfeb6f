// Pod lifecycle e2e themes (run by ../pod-lifecycle.test.ts on one shared node): volumes (emptyDir,
// configMap, secret, downwardAPI, PVC) and env from the API.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { RealNode } from '../../helpers/real-node.js';
import { BUSYBOX, IDLE, podYaml, apply, getPod, until, secondsSince, podRow, exec, logs } from '../../helpers/pod-kubectl.js';
import type { Theme } from './theme.js';

async function sharedEmptyDir(t: TestContext, node: RealNode): Promise<void> {
  await apply(
    node,
    podYaml(
      'shared',
      `
  terminationGracePeriodSeconds: 1
  volumes: [{name: shared, emptyDir: {}}]
  containers:
  - name: writer
    image: ${BUSYBOX}
    volumeMounts: [{name: shared, mountPath: /out}]
    command: [sh, -c, 'echo "hello from $(hostname)" > /out/msg; ${IDLE}']
  - name: reader
    image: ${BUSYBOX}
    volumeMounts: [{name: shared, mountPath: /in, readOnly: true}]
    command: [sh, -c, 'i=0; until [ -f /in/msg ] || [ $i -ge 100 ]; do sleep 0.2; i=$((i+1)); done; cat /in/msg; ${IDLE}']
`,
    ),
  );
  const t0 = Date.now();
  const out = await until(node, 'the reader printed the message', 40_000, async () => {
    const p = await getPod(node, 'shared');
    if (p?.status?.phase !== 'Running') return undefined;
    const l = await logs(node, 'shared', 'reader');
    return l.trim() ? l : undefined;
  });
  t.diagnostic(`emptyDir: the reader saw the writer's file ${secondsSince(t0)} s after apply`);
  assert.equal(out.trim(), 'hello from shared');
  const w = await node.kubectl(['exec', 'shared', '-c', 'reader', '--', 'sh', '-c', 'echo x > /in/other']);
  assert.notEqual(w.code, 0, 'a readOnly mount refuses writes');
  assert.match(w.stderr, /Read-only file system/);
  await exec(node, 'shared', ['sh', '-c', 'echo second > /out/later'], 'writer');
  assert.equal((await exec(node, 'shared', ['cat', '/in/later'], 'reader')).trim(), 'second');
}

async function configMapAndSecretVolumes(t: TestContext, node: RealNode): Promise<void> {
  await apply(
    node,
    `
apiVersion: v1
kind: ConfigMap
metadata: {name: vol-cm}
data: {colour: blue, size: large}
---
apiVersion: v1
kind: Secret
metadata: {name: vol-secret}
stringData: {user: admin, password: hunter2}
---
${podYaml(
  'cm-secret',
  `
  terminationGracePeriodSeconds: 1
  volumes:
  - {name: cm, configMap: {name: vol-cm}}
  - {name: sec, secret: {secretName: vol-secret, defaultMode: 0400}}
  - name: info
    downwardAPI:
      items:
      - {path: labels, fieldRef: {fieldPath: metadata.labels}}
      - {path: mem, resourceFieldRef: {containerName: app, resource: limits.memory, divisor: 1Mi}}
  containers:
  - name: app
    image: ${BUSYBOX}
    resources: {limits: {memory: 32Mi}}
    volumeMounts: [{name: cm, mountPath: /etc/cm}, {name: sec, mountPath: /etc/sec}, {name: info, mountPath: /etc/info}]
    command: [sh, -c, '${IDLE}']
`,
)}`,
  );
  await until(node, 'cm-secret Running', 40_000, async () => ((await getPod(node, 'cm-secret'))?.status?.phase === 'Running' ? true : undefined));
  assert.deepEqual((await exec(node, 'cm-secret', ['ls', '/etc/cm'])).trim().split('\n'), ['colour', 'size']);
  assert.deepEqual((await exec(node, 'cm-secret', ['ls', '/etc/sec'])).trim().split('\n'), ['password', 'user']);
  assert.equal(await exec(node, 'cm-secret', ['cat', '/etc/cm/colour']), 'blue');
  assert.equal(await exec(node, 'cm-secret', ['cat', '/etc/sec/password']), 'hunter2');
  assert.match(await exec(node, 'cm-secret', ['ls', '-lL', '/etc/sec/user']), /^-r-------- /);
  assert.match(await exec(node, 'cm-secret', ['sh', '-c', 'echo x > /etc/cm/colour 2>&1 || echo refused']), /refused/);

  const patched = await node.kubectl(['patch', 'configmap', 'vol-cm', '--type', 'merge', '-p', '{"data":{"colour":"green","shape":"round"}}']);
  assert.equal(patched.code, 0, patched.stderr);
  const t0 = Date.now();
  await until(
    node,
    'the ConfigMap change inside the container',
    60_000,
    async () => {
      const v = await exec(node, 'cm-secret', ['sh', '-c', 'cat /etc/cm/colour; echo; cat /etc/cm/shape 2>/dev/null']);
      return v === 'green\nround' ? true : undefined;
    },
    500,
  );
  t.diagnostic(`configMap volume: the change showed up in the container after ${secondsSince(t0)} s`);
  const secretPatched = await node.kubectl(['patch', 'secret', 'vol-secret', '--type', 'merge', '-p', '{"stringData":{"password":"changed"}}']);
  assert.equal(secretPatched.code, 0, secretPatched.stderr);
  const t1 = Date.now();
  await until(
    node,
    'the Secret change inside the container',
    60_000,
    async () => ((await exec(node, 'cm-secret', ['cat', '/etc/sec/password'])) === 'changed' ? true : undefined),
    500,
  );
  t.diagnostic(`secret volume: the change showed up in the container after ${secondsSince(t1)} s`);

  assert.equal(await exec(node, 'cm-secret', ['cat', '/etc/info/mem']), '32');
  assert.equal(await exec(node, 'cm-secret', ['cat', '/etc/info/labels']), '');
  const labelled = await node.kubectl(['label', 'pod', 'cm-secret', 'tier=backend']);
  assert.equal(labelled.code, 0, labelled.stderr);
  const t2 = Date.now();
  await until(
    node,
    'the new label in the downwardAPI volume',
    60_000,
    async () => ((await exec(node, 'cm-secret', ['cat', '/etc/info/labels'])) === 'tier="backend"' ? true : undefined),
    500,
  );
  t.diagnostic(`downwardAPI volume: a new label showed up in the container after ${secondsSince(t2)} s`);
}

async function persistentVolumeClaim(t: TestContext, node: RealNode): Promise<void> {
  const writer = (name: string, cmd: string) =>
    podYaml(
      name,
      `
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  volumes: [{name: data, persistentVolumeClaim: {claimName: pod-data}}]
  containers:
  - {name: app, image: ${BUSYBOX}, volumeMounts: [{name: data, mountPath: /data}], command: [sh, -c, '${cmd}']}
`,
    );
  await apply(
    node,
    `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: pod-data}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Mi}}}
---
${writer('pvc-writer', 'echo kept > /data/note; echo written')}`,
  );
  const t0 = Date.now();
  const first = await until(node, 'pvc-writer finished', 40_000, async () => {
    const p = await getPod(node, 'pvc-writer');
    return p?.status?.phase === 'Succeeded' || p?.status?.phase === 'Failed' ? p : undefined;
  });
  t.diagnostic(`PVC: the first pod finished ${secondsSince(t0)} s after apply`);
  assert.equal(first.status?.phase, 'Succeeded', await logs(node, 'pvc-writer'));
  const pvc = JSON.parse((await node.kubectl(['get', 'pvc', 'pod-data', '-o', 'json'])).stdout);
  assert.equal(pvc.status?.phase, 'Bound');
  const del = await node.kubectl(['delete', 'pod', 'pvc-writer', '--wait=true', '--timeout=30s'], { timeoutMs: 40_000 });
  assert.equal(del.code, 0, del.stderr);
  await apply(node, writer('pvc-reader', 'cat /data/note'));
  const second = await until(node, 'pvc-reader finished', 40_000, async () => {
    const p = await getPod(node, 'pvc-reader');
    return p?.status?.phase === 'Succeeded' || p?.status?.phase === 'Failed' ? p : undefined;
  });
  assert.equal(second.status?.phase, 'Succeeded');
  assert.equal((await logs(node, 'pvc-reader')).trim(), 'kept', 'the data outlived the pod that wrote it');
}

async function envFromApi(t: TestContext, node: RealNode): Promise<void> {
  await apply(
    node,
    `
apiVersion: v1
kind: ConfigMap
metadata: {name: env-cm}
data: {COLOUR: blue, SIZE: large}
---
apiVersion: v1
kind: Secret
metadata: {name: env-secret}
stringData: {password: s3cret}
---
${podYaml(
  'env-pod',
  `
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: ${BUSYBOX}
    command:
    - sh
    - -c
    - |
      echo "expanded=$(POD_NAME) in $(COLOUR)"; echo 'escaped=$$(POD_NAME)'; env | sort; ${IDLE}
    envFrom: [{configMapRef: {name: env-cm}}, {prefix: S_, secretRef: {name: env-secret}}]
    env:
    - {name: PASSWORD, valueFrom: {secretKeyRef: {name: env-secret, key: password}}}
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: MEM_LIMIT, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
    - {name: GREETING, value: 'hello $(POD_NAME) in $(COLOUR)'}
    resources: {limits: {memory: 64Mi}}
`,
)}`,
  );
  const t0 = Date.now();
  const pod = await until(node, 'env-pod Running', 40_000, async () => {
    const p = await getPod(node, 'env-pod');
    return p?.status?.phase === 'Running' ? p : undefined;
  });
  t.diagnostic(`env: pod Running after ${secondsSince(t0)} s`);
  const env = Object.fromEntries(
    (await exec(node, 'env-pod', ['env']))
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  assert.equal(env.PASSWORD, 's3cret');
  assert.equal(env.S_password, 's3cret');
  assert.equal(env.COLOUR, 'blue');
  assert.equal(env.SIZE, 'large');
  assert.equal(env.POD_NAME, 'env-pod');
  assert.ok(pod.status?.podIP?.startsWith(node.podNet), `pod IP ${pod.status?.podIP} in the node's CIDR`);
  assert.equal(env.POD_IP, pod.status!.podIP);
  assert.equal(env.MEM_LIMIT, '64');
  assert.equal(env.GREETING, 'hello env-pod in blue');
  const described = await node.kubectl(['describe', 'pod', 'env-pod']);
  assert.equal(described.code, 0, described.stderr);
  for (const re of [
    /Normal\s+Scheduled\s+.*Successfully assigned default\/env-pod to /,
    /Normal\s+Pulled\s+.*Container image "skiff\.local\/busybox:1\.35" already present on machine/,
    /Normal\s+Created\s+.*Created container:? app/,
    /Normal\s+Started\s+.*Started container:? app/,
  ])
    assert.match(described.stdout, re);
  const out = await logs(node, 'env-pod');
  assert.match(out, /^PASSWORD=s3cret$/m);
  assert.match(out, /^expanded=env-pod in blue$/m, '$(VAR) in the command is expanded from the container env');
  assert.match(out, /^escaped=\$\(POD_NAME\)$/m, '$$(VAR) stays literal');
}

async function missingSecretHoldsContainer(t: TestContext, node: RealNode): Promise<void> {
  await apply(
    node,
    podYaml(
      'late-secret',
      `
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: ${BUSYBOX}
    command: [sh, -c, 'echo "token=$TOKEN"; ${IDLE}']
    env: [{name: TOKEN, valueFrom: {secretKeyRef: {name: late, key: token}}}]
`,
    ),
  );
  const waiting = await until(node, 'late-secret in CreateContainerConfigError', 30_000, async () => {
    const p = await getPod(node, 'late-secret');
    const w = p?.status?.containerStatuses?.[0]?.state?.waiting;
    return w?.reason === 'CreateContainerConfigError' ? w : undefined;
  });
  assert.equal(waiting.message, 'secret "late" not found');
  assert.equal((await podRow(node, 'late-secret')).STATUS, 'CreateContainerConfigError');
  await apply(node, 'apiVersion: v1\nkind: Secret\nmetadata: {name: late}\nstringData: {token: abc123}\n');
  const t0 = Date.now();
  await until(node, 'late-secret Running once the Secret exists', 40_000, async () =>
    (await getPod(node, 'late-secret'))?.status?.phase === 'Running' ? true : undefined,
  );
  t.diagnostic(`missing Secret: the container started ${secondsSince(t0)} s after the Secret was created`);
  const out = await until(node, 'the token in the log', 10_000, async () => {
    const l = await logs(node, 'late-secret');
    return l.trim() ? l : undefined;
  });
  assert.equal(out.trim(), 'token=abc123');
}

async function missingConfigMapVolume(t: TestContext, node: RealNode): Promise<void> {
  // A missing ConfigMap holds the pod in ContainerCreating (FailedMount) until it exists; an
  // optional one that is missing mounts as an empty directory.
  await apply(
    node,
    podYaml(
      'late-cm',
      `
  terminationGracePeriodSeconds: 1
  volumes:
  - {name: cfg, configMap: {name: late-cm, items: [{key: app.conf, path: conf/app.conf}]}}
  - {name: extra, configMap: {name: never-there, optional: true}}
  containers:
  - name: app
    image: ${BUSYBOX}
    volumeMounts: [{name: cfg, mountPath: /cfg}, {name: extra, mountPath: /extra}]
    command: [sh, -c, '${IDLE}']
`,
    ),
  );
  const waiting = await until(node, 'late-cm in ContainerCreating with a FailedMount event', 30_000, async () => {
    const p = await getPod(node, 'late-cm');
    if (p?.status?.containerStatuses?.[0]?.state?.waiting?.reason !== 'ContainerCreating') return undefined;
    const ev = await node.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=late-cm,reason=FailedMount', '-o', 'json']);
    const items = ev.code === 0 ? (JSON.parse(ev.stdout) as { items: { message?: string }[] }).items : [];
    return items.length ? items[0]!.message : undefined;
  });
  assert.match(waiting ?? '', /configmap "late-cm" not found/);
  assert.equal((await podRow(node, 'late-cm')).STATUS, 'ContainerCreating');
  await apply(node, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: late-cm}\ndata: {app.conf: "level=debug", other: unused}\n');
  const t0 = Date.now();
  await until(node, 'late-cm Running once the ConfigMap exists', 45_000, async () =>
    (await getPod(node, 'late-cm'))?.status?.phase === 'Running' ? true : undefined,
  );
  t.diagnostic(`missing ConfigMap volume: the pod started ${secondsSince(t0)} s after the ConfigMap was created`);
  assert.equal(await exec(node, 'late-cm', ['cat', '/cfg/conf/app.conf']), 'level=debug');
  assert.equal((await exec(node, 'late-cm', ['ls', '/cfg'])).trim(), 'conf', 'only the listed items are projected');
  // Only the atomic writer's hidden ..data entries are there, as with the kubelet.
  assert.equal((await exec(node, 'late-cm', ['ls', '/extra'])).trim(), '', 'a missing optional ConfigMap is an empty volume');
}

export const volumesEnvThemes: Theme[] = [
  ['an emptyDir shared by two containers', sharedEmptyDir],
  ['configMap, secret and downwardAPI volumes, updated while the pod runs', configMapAndSecretVolumes],
  ['a missing ConfigMap volume holds the pod until it exists; an optional one is empty', missingConfigMapVolume],
  ['a PersistentVolumeClaim keeps data across pods', persistentVolumeClaim],
  ['env from a Secret, a ConfigMap and the downward API', envFromApi],
  ['a missing Secret holds the container in CreateContainerConfigError until it exists', missingSecretHoldsContainer],
];
