// Headless Chromium (Debian's, at /usr/bin/chromium) driven by playwright-core, and the
// tokens a dashboard test logs in with.
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from './server.js';

export const CHROMIUM = process.env.SKIFF_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** Why browser tests cannot run here, or undefined when they can. */
export function browserUnavailable(): string | undefined {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
  return undefined;
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  // --no-sandbox: the tests also run as root in CI, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
}

/**
 * A bearer token for a service account bound to `clusterRole` (cluster-wide, or in `namespace`
 * through a RoleBinding), from `kubectl create token`; undefined with the reason when the
 * server cannot issue one yet.
 */
export async function serviceAccountToken(
  s: Pick<TestServer, 'kubectl'>,
  name: string,
  clusterRole: string,
  namespace?: string,
): Promise<{ token?: string; why?: string }> {
  await s.kubectl(['create', 'serviceaccount', name, '-n', 'default']);
  if (namespace) await s.kubectl(['create', 'rolebinding', name, '-n', namespace, `--clusterrole=${clusterRole}`, `--serviceaccount=default:${name}`]);
  else await s.kubectl(['create', 'clusterrolebinding', name, `--clusterrole=${clusterRole}`, `--serviceaccount=default:${name}`]);
  const r = await s.kubectl(['create', 'token', name, '-n', 'default']);
  if (r.code !== 0 || !r.stdout.trim()) return { why: `kubectl create token does not work yet: ${(r.stderr || r.stdout).trim().split('\n')[0]}` };
  return { token: r.stdout.trim() };
}

/** An administrator's token: a cluster-admin service account's, from `kubectl create token`. */
export async function adminToken(s: Pick<TestServer, 'kubectl'>): Promise<string> {
  const sa = await serviceAccountToken(s, 'dashboard-admin', 'cluster-admin');
  if (!sa.token) throw new Error(sa.why);
  return sa.token;
}

/**
 * page.goto, tried again when Chromium reports the host's network changed (other tests add
 * and remove interfaces on the same machine; Chromium then aborts loads in flight, which can
 * also leave the page without one of its scripts): done once the app has drawn something.
 */
export async function gotoRetrying(page: Page, url: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await page.goto(url);
      await page.waitForSelector('#app > *', { timeout: 15_000 });
      return;
    } catch (err) {
      if (i >= 4 || !/ERR_NETWORK_CHANGED|ERR_NETWORK_IO_SUSPENDED|chrome-error:\/\/chromewebdata|#app > \*/.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}
