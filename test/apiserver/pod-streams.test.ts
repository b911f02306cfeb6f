// The apiserver's side of logs/exec/port-forward that needs no network: which paths it
// serves, which container a request means, the kubelet's log-state checks, the query
// checks, and how an agent's refusal is reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { agentError, checkLogState, resolveContainer, streamRoute } from '../../src/apiserver/rest/pod-streams.js';
import { parseLogQuery } from '../../src/api/core/log-query.js';
import { parseAgentPath } from '../../src/kubelet/server/agent-server.js';

const pod = (status: Pod['status'], containers = ['app'], init: string[] = []): Pod => ({
  metadata: { name: 'p', namespace: 'default' },
  spec: { containers: containers.map((name) => ({ name })), initContainers: init.map((name) => ({ name })) },
  status,
});

test('streamRoute picks out the pod subresources and node proxy paths', () => {
  assert.deepEqual(streamRoute('/api/v1/namespaces/ns1/pods/web/exec'), { kind: 'pod', sub: 'exec', namespace: 'ns1', name: 'web' });
  assert.deepEqual(streamRoute('/api/v1/namespaces/ns1/pods/web/portforward'), { kind: 'pod', sub: 'portforward', namespace: 'ns1', name: 'web' });
  assert.deepEqual(streamRoute('/api/v1/nodes/n1/proxy/stats/summary'), { kind: 'node', name: 'n1', path: '/stats/summary' });
  assert.deepEqual(streamRoute('/api/v1/nodes/n1/proxy'), { kind: 'node', name: 'n1', path: '/' });
  assert.equal(streamRoute('/api/v1/namespaces/ns1/pods/web/status'), undefined);
  assert.equal(streamRoute('/api/v1/namespaces/ns1/pods/web'), undefined);
  assert.equal(streamRoute('/apis/apps/v1/namespaces/ns1/pods/web/log'), undefined);
});

test('resolveContainer: the only container by default, else the names to choose from', () => {
  assert.equal(resolveContainer(pod(undefined), null), 'app');
  assert.equal(resolveContainer(pod(undefined, ['a', 'b'], ['init']), 'init'), 'init');
  assert.throws(
    () => resolveContainer(pod(undefined, ['a', 'b'], ['i']), null),
    /a container name must be specified for pod p, choose one of: \[a b\] or one of the init containers: \[i\]/,
  );
  assert.throws(
    () => resolveContainer(pod(undefined), 'nope'),
    (e: { code: number; message: string }) => e.code === 400 && e.message === 'container nope is not valid for pod p',
  );
});

test("checkLogState words the kubelet's refusals", () => {
  const st = (s: object) => pod({ containerStatuses: [{ name: 'app', ready: false, restartCount: 0, image: 'x', imageID: '', ...s }] });
  assert.throws(() => checkLogState(pod({}), 'app', false), /container "app" in pod "p" is not available/);
  assert.throws(
    () => checkLogState(st({ state: { waiting: { reason: 'ContainerCreating' } } }), 'app', false),
    /container "app" in pod "p" is waiting to start: ContainerCreating/,
  );
  assert.throws(
    () => checkLogState(st({ state: { waiting: { reason: 'ImagePullBackOff' } } }), 'app', false),
    /waiting to start: trying and failing to pull image/,
  );
  assert.throws(() => checkLogState(st({ state: { running: {} } }), 'app', true), /previous terminated container "app" in pod "p" not found/);
  checkLogState(st({ state: { running: {} } }), 'app', false);
  // A crash-looping container has logs of its last attempt, current and previous.
  const looping = st({ state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, containerID: 'containerd://abc' } } });
  checkLogState(looping, 'app', false);
  checkLogState(looping, 'app', true);
});

test('log query checks as the apiserver validates PodLogOptions', () => {
  const q = (s: string) => parseLogQuery(new URLSearchParams(s), 1_000_000);
  assert.deepEqual(q('follow=true&tailLines=5&timestamps=1'), {
    follow: true,
    previous: false,
    timestamps: true,
    tailLines: 5,
    limitBytes: undefined,
    sinceNs: undefined,
  });
  assert.equal(q('sinceSeconds=10').sinceNs, 990_000n * 1_000_000n);
  assert.equal(q('sinceTime=1970-01-01T00:00:01.5Z').sinceNs, 1_500_000_000n);
  assert.throws(() => q('tailLines=-1'), /tailLines: Invalid value: -1: must be greater than or equal to 0/);
  assert.throws(() => q('limitBytes=0'), /limitBytes: Invalid value: 0: must be greater than 0/);
  assert.throws(() => q('sinceSeconds=5&sinceTime=1970-01-01T00:00:01Z'), /at most one of `sinceTime` or `sinceSeconds` may be specified/);
  assert.throws(() => q('sinceTime=yesterday'), /sinceTime: Invalid value: "yesterday"/);
  assert.throws(() => q('follow=maybe'), /follow: Invalid value: "maybe": must be a boolean/);
  // Go's ParseBool spellings, which other clients (Python) send.
  assert.equal(q('follow=True&previous=t&timestamps=FALSE').follow, true);
  assert.equal(q('follow=True&previous=t&timestamps=FALSE').previous, true);
  assert.equal(q('follow=True&previous=t&timestamps=FALSE').timestamps, false);
});

test("an agent's refusal becomes the Status kube-apiserver would send", () => {
  assert.deepEqual(agentError(400, 'bad thing\n').toStatus(), {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'bad thing',
    reason: 'BadRequest',
    code: 400,
  });
  assert.equal(agentError(500, 'boom').message, 'Internal error occurred: boom');
  assert.equal(agentError(404, 'gone').reason, 'NotFound');
  assert.equal(agentError(501, 'no exec here').code, 501);
});

test("the agent serves the kubelet's paths", () => {
  assert.deepEqual(parseAgentPath('/containerLogs/ns/p/c'), { kind: 'logs', namespace: 'ns', pod: 'p', container: 'c' });
  assert.deepEqual(parseAgentPath('/exec/ns/p/c'), { kind: 'exec', namespace: 'ns', pod: 'p', container: 'c' });
  assert.deepEqual(parseAgentPath('/exec/ns/p/uid-1/c'), { kind: 'exec', namespace: 'ns', pod: 'p', container: 'c' });
  assert.deepEqual(parseAgentPath('/attach/ns/p/c'), { kind: 'attach', namespace: 'ns', pod: 'p', container: 'c' });
  assert.deepEqual(parseAgentPath('/portForward/ns/p'), { kind: 'portForward', namespace: 'ns', pod: 'p' });
  assert.deepEqual(parseAgentPath('/healthz'), { kind: 'healthz' });
  assert.equal(parseAgentPath('/containerLogs/ns/p'), undefined);
  assert.deepEqual(parseAgentPath('/stats/summary'), { kind: 'statsSummary' });
  assert.equal(parseAgentPath('/stats/container'), undefined);
});
