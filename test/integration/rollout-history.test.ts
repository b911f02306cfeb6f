// `kubectl rollout history` of DaemonSets and StatefulSets shows each revision's change-cause,
// which kubectl reads from the ControllerRevisions' kubernetes.io/change-cause annotation.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
before(async () => {
  s = await startServer();
});
after(async () => {
  await s?.cleanup();
});

const template = (image: string) => ({ metadata: { labels: { app: 'h' } }, spec: { containers: [{ name: 'c', image }] } });

for (const kind of ['DaemonSet', 'StatefulSet'] as const) {
  test(`${kind}: every revision carries the change-cause it was made with`, async () => {
    const name = `hist-${kind.toLowerCase()}`;
    const obj = (image: string, cause: string) =>
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind,
        metadata: { name, annotations: { 'kubernetes.io/change-cause': cause } },
        spec: { selector: { matchLabels: { app: 'h' } }, template: template(image), ...(kind === 'StatefulSet' ? { serviceName: name, replicas: 0 } : {}) },
      });
    const first = await s.kubectl(['apply', '-f', '-'], { input: obj('skiff.local/busybox:1.35', 'first image') });
    assert.equal(first.code, 0, first.stderr);
    const res = kind === 'DaemonSet' ? `ds/${name}` : `sts/${name}`;
    const wait = async (want: RegExp) => {
      const deadline = Date.now() + 10_000;
      let out = '';
      while (Date.now() < deadline) {
        out = (await s.kubectl(['rollout', 'history', res])).stdout;
        if (want.test(out)) return out;
        await new Promise((r) => setTimeout(r, 300));
      }
      assert.fail(`rollout history of ${res} never matched ${want}:\n${out}`);
    };
    await wait(/^1\s+first image$/m);
    const second = await s.kubectl(['apply', '-f', '-'], { input: obj('skiff.local/httpd:1.35', 'second image') });
    assert.equal(second.code, 0, second.stderr);
    const out = await wait(/^2\s+second image$/m);
    assert.match(out, /^1\s+first image$/m);
  });
}
