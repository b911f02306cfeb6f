// CriRuntime against a tiny gRPC server in this process that speaks the same runtime.v1
// proto: checks what goes on the wire for each call and how answers and errors come back.
// (The server is a stand-in for containerd; the real one is exercised in test/e2e.)
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { CriRuntime } from '../../../src/kubelet/runtime/cri/cri-runtime.js';
import { serviceDefinition } from '../../../src/kubelet/runtime/cri/grpc-client.js';
import { RuntimeError, type ContainerEvent, type PodSandboxConfig } from '../../../src/kubelet/runtime/types.js';

type Wire = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const calls: { method: string; req: Wire }[] = [];
/** What the fake runtime answers per method; a number is a gRPC status code to fail with. */
const answers: Record<string, Wire | number | ((req: Wire) => Wire | number)> = {};
let server: grpc.Server;
let dir: string;
let endpoint: string;

function handlers(def: grpc.ServiceDefinition): grpc.UntypedServiceImplementation {
  const impl: grpc.UntypedServiceImplementation = {};
  for (const method of Object.keys(def)) {
    impl[method] = (call: grpc.ServerUnaryCall<Wire, Wire>, cb: grpc.sendUnaryData<Wire>) => {
      calls.push({ method, req: call.request });
      let a = answers[method] ?? {};
      if (typeof a === 'function') a = a(call.request);
      if (typeof a === 'number') cb({ code: a, details: `fake ${method} failure` } as grpc.ServiceError);
      else cb(null, a);
    };
  }
  return impl;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-cri-unit-'));
  endpoint = `unix://${join(dir, 'cri.sock')}`;
  server = new grpc.Server();
  server.addService(serviceDefinition('RuntimeService'), handlers(serviceDefinition('RuntimeService')));
  server.addService(serviceDefinition('ImageService'), handlers(serviceDefinition('ImageService')));
  await new Promise<void>((res, rej) =>
    server.bindAsync(`unix:${join(dir, 'cri.sock')}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? rej(e) : res())),
  );
  answers.Version = { version: '0.1.0', runtimeName: 'fakerd', runtimeVersion: '9.9.9', runtimeApiVersion: 'v1' };
});

after(async () => {
  await new Promise<void>((r) => server.tryShutdown(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const last = (method: string) => [...calls].reverse().find((c) => c.method === method)!.req;

const sandbox = (over: Partial<PodSandboxConfig> = {}): PodSandboxConfig => ({
  metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', attempt: 0 },
  hostname: 'web-1',
  logDirectory: join(dir, 'logs', 'shop_web-1_u-1'),
  dnsConfig: { servers: ['10.43.0.10'], searches: ['shop.svc.cluster.local'], options: ['ndots:5'] },
  portMappings: [{ protocol: 'UDP', containerPort: 53, hostPort: 5353, hostIp: '127.0.0.1' }],
  labels: { app: 'web' },
  annotations: { note: 'x' },
  ...over,
});

test('connect asks Version and names the runtime as nodes report it', async () => {
  const rt = await CriRuntime.connect({ endpoint });
  assert.equal(rt.runtimeVersionString, 'fakerd://9.9.9');
  assert.equal(rt.runsProcesses, true);
  assert.equal(last('Version').version, 'v1');
  await rt.close();
});

test('connect to a socket nobody serves fails with Unavailable and names the endpoint', async () => {
  await assert.rejects(CriRuntime.connect({ endpoint: `unix://${join(dir, 'nobody.sock')}`, waitMs: 300 }), (e: RuntimeError) => {
    assert.ok(e instanceof RuntimeError);
    assert.match(e.message, /nobody\.sock/);
    return true;
  });
});

test('RunPodSandbox carries the pod sandbox config with CRI field names and namespace modes', async () => {
  const rt = await CriRuntime.connect({ endpoint });
  answers.RunPodSandbox = { podSandboxId: 'sb-1' };
  assert.equal(await rt.runPodSandbox(sandbox()), 'sb-1');
  const req = last('RunPodSandbox').config;
  assert.deepEqual(req.metadata, { name: 'web-1', uid: 'u-1', namespace: 'shop', attempt: 0 });
  assert.equal(req.hostname, 'web-1');
  assert.equal(req.logDirectory, join(dir, 'logs', 'shop_web-1_u-1'));
  assert.ok(existsSync(req.logDirectory), 'the pod log directory is created before the sandbox');
  assert.deepEqual(req.dnsConfig, { servers: ['10.43.0.10'], searches: ['shop.svc.cluster.local'], options: ['ndots:5'] });
  assert.deepEqual(req.portMappings, [{ protocol: 'UDP', containerPort: 53, hostPort: 5353, hostIp: '127.0.0.1' }]);
  assert.deepEqual(req.labels, { app: 'web' });
  assert.deepEqual(req.linux.securityContext.namespaceOptions, { network: 'POD', pid: 'CONTAINER', ipc: 'POD', targetId: '' });

  await rt.runPodSandbox(sandbox({ hostNetwork: true, hostPID: true, logDirectory: undefined }));
  const host = last('RunPodSandbox').config;
  assert.deepEqual(host.linux.securityContext.namespaceOptions, { network: 'NODE', pid: 'NODE', ipc: 'POD', targetId: '' });
  assert.equal(host.hostname, '', 'a host-network sandbox takes the node hostname');
  await rt.runPodSandbox(sandbox({ sharePID: true, logDirectory: undefined }));
  assert.deepEqual(
    last('RunPodSandbox').config.linux.securityContext.namespaceOptions,
    { network: 'POD', pid: 'POD', ipc: 'POD', targetId: '' },
    'shareProcessNamespace: one PID namespace for the pod',
  );
  await rt.close();
});

test('CreateContainer carries command, env, mounts, log path, resources and security context', async () => {
  const rt = await CriRuntime.connect({ endpoint });
  answers.CreateContainer = { containerId: 'c-1' };
  const id = await rt.createContainer(
    'sb-1',
    {
      metadata: { name: 'app', attempt: 2 },
      image: { image: 'skiff.local/busybox:1.35' },
      command: ['sh', '-c'],
      args: ['echo hi'],
      workingDir: '/work',
      envs: [{ key: 'A', value: '1' }],
      mounts: [{ containerPath: '/data', hostPath: '/srv/data', readonly: true }],
      logPath: 'app/2.log',
      linux: {
        resources: { cpuShares: 512, cpuQuota: 50_000, cpuPeriod: 100_000, memoryLimitInBytes: 64 * 1024 * 1024 },
        securityContext: { runAsUser: 1000, runAsGroup: 3000, readonlyRootfs: true, capabilities: { dropCapabilities: ['ALL'] }, noNewPrivs: true },
      },
    },
    sandbox({ hostIPC: true }),
  );
  assert.equal(id, 'c-1');
  const req = last('CreateContainer');
  assert.equal(req.podSandboxId, 'sb-1');
  const c = req.config;
  assert.deepEqual(c.metadata, { name: 'app', attempt: 2 });
  assert.deepEqual([c.command, c.args, c.workingDir], [['sh', '-c'], ['echo hi'], '/work']);
  assert.deepEqual(c.envs, [{ key: 'A', value: '1' }]);
  assert.deepEqual(c.mounts, [{ containerPath: '/data', hostPath: '/srv/data', readonly: true, selinuxRelabel: false, propagation: 'PROPAGATION_PRIVATE' }]);
  assert.equal(c.logPath, 'app/2.log');
  assert.equal(c.linux.resources.cpuShares, '512');
  assert.equal(c.linux.resources.memoryLimitInBytes, String(64 * 1024 * 1024));
  const sc = c.linux.securityContext;
  assert.deepEqual([sc.runAsUser, sc.runAsGroup, sc.readonlyRootfs, sc.noNewPrivs], [{ value: '1000' }, { value: '3000' }, true, true]);
  assert.deepEqual(sc.capabilities.dropCapabilities, ['ALL']);
  assert.equal(sc.namespaceOptions.ipc, 'NODE', 'containers share the namespaces their sandbox shares');
  assert.equal(req.sandboxConfig.metadata.uid, 'u-1');
  await rt.close();
});

test('statuses come back with nanosecond bigints, states and the pod IP', async () => {
  const rt = await CriRuntime.connect({ endpoint });
  answers.PodSandboxStatus = {
    status: {
      id: 'sb-1',
      metadata: { name: 'web-1', uid: 'u-1', namespace: 'shop', attempt: 0 },
      state: 'SANDBOX_READY',
      createdAt: '1700000000123456789',
      network: { ip: '10.42.0.7' },
    },
  };
  const sb = await rt.podSandboxStatus('sb-1');
  assert.equal(sb.createdAt, 1700000000123456789n);
  assert.equal(sb.state, 'SANDBOX_READY');
  assert.deepEqual(sb.network, { ip: '10.42.0.7', additionalIps: [] });

  answers.ListContainers = (req) => ({
    containers: [
      { id: 'c-1', podSandboxId: 'sb-1', state: 'CONTAINER_EXITED' },
      { id: 'gone', podSandboxId: 'sb-1', state: 'CONTAINER_RUNNING' },
    ].filter((c) => !req.filter?.id || c.id === req.filter.id),
  });
  answers.ContainerStatus = (req) =>
    req.containerId === 'gone'
      ? grpc.status.NOT_FOUND
      : {
          status: {
            id: req.containerId,
            metadata: { name: 'app', attempt: 1 },
            state: 'CONTAINER_EXITED',
            createdAt: '10',
            startedAt: '20',
            finishedAt: '30',
            exitCode: 137,
            reason: 'OOMKilled',
            image: { image: 'img' },
            imageRef: 'sha256:abc',
            logPath: '/logs/app/1.log',
          },
        };
  const list = await rt.listContainers({ podSandboxId: 'sb-1', state: 'CONTAINER_EXITED' });
  assert.deepEqual(last('ListContainers').filter.state, { state: 'CONTAINER_EXITED' });
  assert.equal(list.length, 1, 'a container removed between list and status is left out');
  const c = list[0]!;
  assert.deepEqual(
    [c.podSandboxId, c.state, c.exitCode, c.reason, c.startedAt, c.finishedAt, c.logPath],
    ['sb-1', 'CONTAINER_EXITED', 137, 'OOMKilled', 20n, 30n, '/logs/app/1.log'],
  );
  await rt.close();
  // A fresh client does not know the sandbox of c-1 and asks for it.
  const rt2 = await CriRuntime.connect({ endpoint });
  assert.equal((await rt2.containerStatus('c-1')).podSandboxId, 'sb-1');
  await rt2.close();
});

test('gRPC failures become RuntimeErrors with the CRI code and method', async () => {
  const rt = await CriRuntime.connect({ endpoint });
  answers.StopContainer = grpc.status.NOT_FOUND;
  await assert.rejects(
    rt.stopContainer('x', 5),
    (e: RuntimeError) => e instanceof RuntimeError && e.code === 'NotFound' && /CRI StopContainer: fake StopContainer failure/.test(e.message),
  );
  assert.equal(last('StopContainer').timeout, '5');
  answers.StartContainer = grpc.status.FAILED_PRECONDITION;
  await assert.rejects(rt.startContainer('x'), (e: RuntimeError) => e.code === 'FailedPrecondition');
  answers.RemoveImage = grpc.status.INTERNAL;
  await assert.rejects(rt.removeImage('x'), (e: RuntimeError) => e.code === 'Unknown');
  await rt.close();
});

test('image status: a present image is asked once for a burst; missing ones, pulls, removals and failed creates ask again', async () => {
  const rt = await CriRuntime.connect({ endpoint });
  let present = false;
  answers.ImageStatus = (req) => (req.image.image === 'busy:1' && present ? { image: { id: 'sha256:b', repoTags: ['busy:1'], size: '7' } } : {});
  const asked = () => calls.filter((c) => c.method === 'ImageStatus').length;
  const n0 = asked();
  assert.equal(await rt.imageStatus('busy:1'), undefined);
  assert.equal(await rt.imageStatus('busy:1'), undefined);
  assert.equal(asked(), n0 + 2, 'a missing image is not remembered');
  present = true;
  for (let i = 0; i < 5; i++) assert.equal((await rt.imageStatus('busy:1'))?.id, 'sha256:b');
  assert.equal(asked(), n0 + 3, 'five checks of a present image, one call');
  answers.RemoveImage = {};
  await rt.removeImage('busy:1');
  present = false;
  assert.equal(await rt.imageStatus('busy:1'), undefined, 'a removal is seen at once');
  present = true;
  await rt.imageStatus('busy:1');
  answers.CreateContainer = grpc.status.NOT_FOUND;
  await assert.rejects(rt.createContainer('sb-1', { metadata: { name: 'c', attempt: 0 }, image: { image: 'busy:1' } }, sandbox()));
  const n1 = asked();
  await rt.imageStatus('busy:1');
  assert.equal(asked(), n1 + 1, 'a failed create makes the next check ask the runtime');
  answers.PullImage = { imageRef: 'sha256:b' };
  await rt.pullImage('busy:1');
  await rt.imageStatus('busy:1');
  assert.equal(asked(), n1 + 2, 'a pull makes the next check ask the runtime');
  await rt.close();
  const fresh = await CriRuntime.connect({ endpoint, imageStatusTtlMs: 0 });
  await fresh.imageStatus('busy:1');
  await fresh.imageStatus('busy:1');
  assert.equal(asked(), n1 + 4, 'with no time to live every check asks');
  await fresh.close();
  delete answers.CreateContainer;
});

test('images: absent is undefined, present has its size; exec output is bytes', async () => {
  const rt = await CriRuntime.connect({ endpoint });
  answers.ImageStatus = (req) => (req.image.image === 'there' ? { image: { id: 'sha256:1', repoTags: ['there:1'], size: '12345' } } : {});
  assert.equal(await rt.imageStatus('missing'), undefined);
  assert.deepEqual(await rt.imageStatus('there'), { id: 'sha256:1', repoTags: ['there:1'], repoDigests: [], size: 12345n });
  answers.PullImage = { imageRef: 'sha256:2' };
  assert.equal(await rt.pullImage('x:1'), 'sha256:2');
  assert.equal(last('PullImage').image.image, 'x:1');
  answers.ExecSync = { stdout: Buffer.from('out\n'), stderr: Buffer.from('err'), exitCode: 3 };
  const r = await rt.execSync('c-1', ['cat', '/etc/hostname'], 2);
  assert.deepEqual([r.stdout.toString(), r.stderr.toString(), r.exitCode], ['out\n', 'err', 3]);
  assert.deepEqual(last('ExecSync').cmd, ['cat', '/etc/hostname']);
  answers.PortForward = { url: 'http://127.0.0.1:1/portforward/x' };
  assert.equal((await rt.portForward({ podSandboxId: 'sb-1', ports: [80, 443] })).url, 'http://127.0.0.1:1/portforward/x');
  assert.deepEqual(last('PortForward').port, [80, 443]);
  await rt.close();
});

test('updateRuntimeConfig sets up the network first, then tells the runtime the pod CIDR', async () => {
  const seen: string[] = [];
  const rt = await CriRuntime.connect({ endpoint, onPodCidr: async (c) => void seen.push(c) });
  await rt.updateRuntimeConfig({ podCidr: '10.42.3.0/24' });
  assert.deepEqual(seen, ['10.42.3.0/24']);
  assert.equal(last('UpdateRuntimeConfig').runtimeConfig.networkConfig.podCidr, '10.42.3.0/24');
  await rt.close();
});

test('container events come from relisting while someone listens', async () => {
  let state = [{ id: 'e-1', podSandboxId: 'sb-9', state: 'CONTAINER_RUNNING' }];
  answers.ListContainers = () => ({ containers: state });
  const rt = await CriRuntime.connect({ endpoint, relistMs: 30 });
  const events: ContainerEvent[] = [];
  const before = calls.filter((c) => c.method === 'ListContainers').length;
  const stop = rt.getContainerEvents((e) => events.push(e));
  await new Promise((r) => setTimeout(r, 100));
  state = [
    { id: 'e-1', podSandboxId: 'sb-9', state: 'CONTAINER_EXITED' },
    { id: 'e-2', podSandboxId: 'sb-9', state: 'CONTAINER_CREATED' },
  ];
  await new Promise((r) => setTimeout(r, 150));
  stop();
  // A list already on the wire when the last listener left may still arrive; later ones must not.
  await new Promise((r) => setTimeout(r, 60));
  const n = calls.filter((c) => c.method === 'ListContainers').length;
  assert.ok(n - before >= 3, 'lists repeatedly');
  assert.deepEqual(
    events.map((e) => `${e.containerId}:${e.type}`),
    ['e-1:CONTAINER_STOPPED_EVENT', 'e-2:CONTAINER_CREATED_EVENT'],
  );
  assert.equal(events[0]!.podSandboxId, 'sb-9');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(calls.filter((c) => c.method === 'ListContainers').length, n, 'no listing once nobody listens');
  await rt.close();
});

test('a sandbox that stops being ready comes out as a stopped event for its pod (its pause process died)', async () => {
  let sandboxes = [{ id: 'sb-4', state: 'SANDBOX_READY' }];
  answers.ListContainers = () => ({ containers: [{ id: 'c-4', podSandboxId: 'sb-4', state: 'CONTAINER_RUNNING' }] });
  answers.ListPodSandbox = () => ({ items: sandboxes });
  const rt = await CriRuntime.connect({ endpoint, relistMs: 30 });
  const events: ContainerEvent[] = [];
  const stop = rt.getContainerEvents((e) => events.push(e));
  try {
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(events.length, 0, 'nothing changed yet');
    sandboxes = [{ id: 'sb-4', state: 'SANDBOX_NOTREADY' }];
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(
      events.map((e) => `${e.podSandboxId}/${e.containerId}:${e.type}`),
      ['sb-4/sb-4:CONTAINER_STOPPED_EVENT'],
    );
  } finally {
    stop();
    delete answers.ListPodSandbox;
    await rt.close();
  }
});

test('an endpoint that is not a unix socket is refused clearly', () => {
  assert.throws(() => new CriRuntime({ endpoint: 'tcp://1.2.3.4:5' }), /unix:\/\/\/path/);
});
