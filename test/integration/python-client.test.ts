// The official Python client (Debian's python3-kubernetes) against a real server: it sends
// booleans as "True", so its watches and forced server-side applies only work when the
// server reads query booleans as Go's strconv.ParseBool does.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { startServer, type TestServer } from '../helpers/server.js';

const PYTHON = '/usr/bin/python3';

function pythonClientMissing(): string | false {
  try {
    execFileSync(PYTHON, ['-c', 'import kubernetes'], { stdio: 'ignore' });
    return false;
  } catch {
    return `${PYTHON} with the kubernetes module (Debian: python3-kubernetes) is not installed`;
  }
}
const skip = pythonClientMissing();

let s: TestServer;
before(async () => {
  if (!skip) s = await startServer();
});
after(async () => {
  await s?.cleanup();
});

function python(script: string, timeoutMs = 30_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(PYTHON, ['-c', script], { env: { ...process.env, KUBECONFIG: s.kubeconfig }, timeout: timeoutMs }, (err, stdout, stderr) =>
      res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const PRELUDE = `
import json, sys, threading, time
from kubernetes import client, config, watch
config.load_kube_config()
v1 = client.CoreV1Api()
`;

test('a Python watch of ConfigMaps (watch=True) gets a stream of events', { skip }, async () => {
  const r = await python(`${PRELUDE}
def later():
    time.sleep(1)
    v1.create_namespaced_config_map('default', {'metadata': {'name': 'py-watched'}, 'data': {'a': '1'}})
threading.Thread(target=later).start()
w = watch.Watch()
seen = []
for ev in w.stream(v1.list_namespaced_config_map, 'default', timeout_seconds=15):
    seen.append((ev['type'], ev['object'].metadata.name))
    if ev['object'].metadata.name == 'py-watched':
        w.stop()
print(json.dumps(seen))
`);
  assert.equal(r.code, 0, r.stderr);
  const seen = JSON.parse(r.stdout) as [string, string][];
  assert.deepEqual(seen.at(-1), ['ADDED', 'py-watched']);
});

test('the Python client applies server-side with force=True, taking over a conflicting field', { skip }, async () => {
  const r = await python(`${PRELUDE}
from kubernetes.dynamic import DynamicClient
dyn = DynamicClient(client.ApiClient())
cms = dyn.resources.get(api_version='v1', kind='ConfigMap')
body = {'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'py-applied', 'namespace': 'default'}, 'data': {'k': 'first'}}
# This client version only sends apply patches given as text.
apply = lambda **kw: dyn.server_side_apply(cms, body=json.dumps(body), name='py-applied', namespace='default', **kw)
apply(field_manager='one')
body['data']['k'] = 'second'
try:
    apply(field_manager='two')
    print('no conflict'); sys.exit(1)
except client.exceptions.ApiException as e:
    assert e.status == 409, e.status
got = apply(field_manager='two', force_conflicts=True)
print(json.dumps({'k': got.data['k'], 'managers': [m['manager'] for m in got.metadata.managedFields]}))
`);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const out = JSON.parse(r.stdout) as { k: string; managers: string[] };
  assert.equal(out.k, 'second');
  assert.ok(out.managers.includes('two'), JSON.stringify(out));
});
