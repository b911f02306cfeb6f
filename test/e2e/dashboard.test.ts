// The dashboard's pod page against a real container (containerd, as root) in headless
// Chromium: the log follows a line written after the page opened, and the terminal runs
// `echo hi` over the exec WebSocket (token in the subprotocol). Traffic stays on loopback.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { adminToken, browserUnavailable, gotoRetrying, launchChromium } from '../helpers/browser.js';
import type { KubectlResult } from '../helpers/server.js';

const ARTIFACTS = resolve(new URL('../../..', import.meta.url).pathname, 'test', 'artifacts');

interface RealNodeLike {
  kubeconfig: string;
  dataDir: string;
  logs(): string;
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<KubectlResult>;
  cleanup(): Promise<void>;
}
interface RealNodeModule {
  realNodeMissing(): string | undefined;
  startRealNode(extraArgs?: string[]): Promise<RealNodeLike>;
  kubeconfigServer(node: RealNodeLike): string;
}

const POD = `
apiVersion: v1
kind: Pod
metadata: {name: talker}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: talker
    image: skiff.local/busybox:1.35
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'echo started; while :; do if [ -f /tmp/say ]; then cat /tmp/say; rm /tmp/say; fi; sleep 0.3; done']
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('dashboard pod page: live logs and an exec terminal on a real container', { timeout: 300_000 }, async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root');
  const noBrowser = browserUnavailable();
  if (noBrowser) return t.skip(noBrowser);
  let mod: RealNodeModule;
  try {
    mod = (await import(new URL('../helpers/real-node.js', import.meta.url).href)) as RealNodeModule;
  } catch {
    return t.skip('needs the CRI runtime and its real-node test helper (test/helpers/real-node.ts)');
  }
  const why = mod.realNodeMissing();
  if (why) return t.skip(why);

  const node = await mod.startRealNode();
  const browser = await launchChromium();
  t.after(async () => {
    await browser.close();
    await node.cleanup();
  });
  const k = node.kubectl;
  const applied = await k(['apply', '-f', '-'], { input: POD });
  assert.equal(applied.code, 0, applied.stderr);
  for (let i = 0; i < 300; i++) {
    if ((await k(['get', 'pod', 'talker', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running') break;
    await sleep(200);
  }

  const url = mod.kubeconfigServer(node);
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await gotoRetrying(page, `${url}/dashboard/`);
  await page.fill('#token', await adminToken(node));
  await page.click('button[type=submit]');
  await page.waitForSelector('.overview');
  await gotoRetrying(page, `${url}/dashboard/#/obj/pods/default/talker`);
  await page.getByRole('tab', { name: 'Logs' }).click();
  const log = page.locator('pre.log-lines');
  await log.filter({ hasText: 'started' }).waitFor({ timeout: 30_000 });

  // A line the container writes only now, after the page is open and following.
  const marker = `late-line-${Date.now()}`;
  const wrote = await k(['exec', 'talker', '--', 'sh', '-c', `echo ${marker} > /tmp/say`]);
  assert.equal(wrote.code, 0, wrote.stderr);
  await log.filter({ hasText: marker }).waitFor({ timeout: 30_000 });
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-pod-logs.png'), fullPage: true });

  await page.getByRole('tab', { name: 'Terminal' }).click();
  await page.locator('.term-status', { hasText: 'connected' }).waitFor({ timeout: 30_000 });
  assert.match((await page.locator('.term-status').textContent()) ?? '', /v5\.channel\.k8s\.io|v4\.channel\.k8s\.io/);
  await page.locator('.term-host').click();
  await page.keyboard.type('echo hi\r', { delay: 20 });
  await page.waitForFunction(() => [...document.querySelectorAll('.xterm-rows > div')].some((r) => (r.textContent ?? '').trim() === 'hi'), undefined, {
    timeout: 20_000,
  });
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-pod-terminal.png'), fullPage: true });
});
