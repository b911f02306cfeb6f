// bench/dashboard: the web dashboard in headless Chromium against a real `skiff server`
// holding 5,000 pods (Pending: no node runs them): the bundle's size, the first load, the
// pod list's time to show all 5,000 rows, how many rows are in the DOM (virtualised), the
// time to scroll to the end, to filter by name, and for a change to show through the watch.
import { gzipSync } from 'node:zlib';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { adminToken, browserUnavailable, gotoRetrying, launchChromium } from '../test/helpers/browser.js';
import { startServer } from '../test/helpers/server.js';
import { closedLoop, LoadClient } from './lib/http.js';
import { report, type Row } from './lib/report.js';

const PODS = 5000;
const DIST = resolve(new URL('../../dist/dashboard', import.meta.url).pathname);

const why = browserUnavailable();
if (why) {
  console.log(`bench/dashboard skipped: ${why}`);
  process.exit(0);
}

const rows: Row[] = [];
const loadAvgs = [loadavg()[0]!];

/** CPU seconds a process has used (user + system), from /proc: the server runs as a child. */
function procCpuS(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
let firstLoadKb = 0;
for (const f of readdirSync(DIST)) if (!f.endsWith('.map')) firstLoadKb += gzipSync(readFileSync(join(DIST, f))).length / 1024;
rows.push({ figure: 'bundle, all files gzipped', value: firstLoadKb, unit: 'KB', target: '≤ 300', ok: firstLoadKb <= 300 });

const s = await startServer({ args: ['--disable-scheduler'], timeoutMs: 60_000 });
const browser = await launchChromium();
try {
  const client = LoadClient.fromKubeconfig(s.kubeconfig, 32);
  await closedLoop(PODS, 32, async (i) => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `p-${String(i).padStart(5, '0')}`, labels: { app: `a${i % 10}` } },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    };
    const r = await client.request('POST', '/api/v1/namespaces/default/pods', JSON.stringify(pod));
    if (r.status !== 201) throw new Error(`create pod ${i}: ${r.status} ${r.body}`);
  });
  const token = await adminToken(s);
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();

  const loads: number[] = [];
  for (let i = 0; i < 3; i++) {
    const p = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
    await gotoRetrying(p, `${s.url}/dashboard/`);
    await p.waitForSelector('#token');
    loads.push(
      await p.evaluate(() => {
        const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        return n.loadEventEnd - n.connectStart;
      }),
    );
    await p.context().close();
  }
  const load = Math.min(...loads);
  rows.push({ figure: 'first load, nothing cached (best of 3)', value: load, unit: 'ms', target: '≤ 1000', ok: load <= 1000 });

  await gotoRetrying(page, `${s.url}/dashboard/`);
  await page.fill('#token', token);
  await page.click('button[type=submit]');
  await page.waitForSelector('.overview');
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  /** Main-thread time of the page (script, style, layout, tasks), seconds: what the page itself spent. */
  const pageBusyS = async () => {
    const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
    return metrics.find((m) => m.name === 'TaskDuration')?.value ?? Number.NaN;
  };
  // `reload`: the page's counters start again with the new document, so its time is all of it.
  const showList = async (go: () => Promise<unknown>, count: number, reload = false) => {
    const busy0 = reload ? 0 : await pageBusyS();
    const cpu0 = procCpuS(s.proc.pid);
    const t = Date.now();
    await go();
    await page.waitForFunction((n) => document.querySelector('.list .count')?.textContent === String(n), count, { timeout: 60_000 });
    await page.locator('.vrow:not(.vhead)').first().waitFor();
    const ms = Date.now() - t;
    loadAvgs.push(loadavg()[0]!);
    return { ms, pageCpuMs: ((await pageBusyS()) - busy0) * 1000, serverCpuMs: (procCpuS(s.proc.pid) - cpu0) * 1000 };
  };
  // From the overview (which watches every pod for its counts) to the pod list, as a user goes.
  const shown = await showList(() => gotoRetrying(page, `${s.url}/dashboard/#/list/pods`), PODS);
  const listMs = shown.ms;
  rows.push({ figure: `pod list of ${PODS} shown`, value: listMs, unit: 'ms', target: '≤ 2000', ok: listMs <= 2000, note: 'from the overview' });
  rows.push({ figure: 'pod list: page main-thread time', value: shown.pageCpuMs, unit: 'ms', note: 'CPU-like: script, style, layout of the page' });
  rows.push({ figure: 'pod list: server CPU time', value: shown.serverCpuMs, unit: 'ms' });
  const domRows = await page.locator('.vbody .vrow').count();
  rows.push({ figure: 'rows in the DOM', value: domRows, unit: 'rows', target: '≤ 100', ok: domRows <= 100 });

  const scrollMs = await page.evaluate(async () => {
    const box = document.querySelector('.vbody') as HTMLElement;
    const start = performance.now();
    box.scrollTop = box.scrollHeight;
    box.dispatchEvent(new Event('scroll'));
    for (let i = 0; i < 200; i++) {
      await new Promise((r) => requestAnimationFrame(r));
      if ([...document.querySelectorAll('.vbody .vrow a')].some((a) => a.textContent === 'p-04999')) break;
    }
    return performance.now() - start;
  });
  rows.push({ figure: 'scroll to the last pod', value: scrollMs, unit: 'ms', target: '≤ 100', ok: scrollMs <= 100 });

  const t1 = Date.now();
  await page.fill('input[aria-label="Search by name"]', 'p-0123');
  await page.waitForFunction(() => document.querySelector('.list .count')?.textContent === '10');
  const filterMs = Date.now() - t1;
  rows.push({ figure: 'filter 5,000 by name', value: filterMs, unit: 'ms', target: '≤ 200', ok: filterMs <= 200 });

  const t2 = Date.now();
  const r = await client.request('DELETE', '/api/v1/namespaces/default/pods/p-01234');
  if (r.status !== 200) throw new Error(`delete: ${r.status} ${r.body}`);
  await page.waitForFunction(() => document.querySelector('.list .count')?.textContent === '9');
  const watchMs = Date.now() - t2;
  rows.push({ figure: 'a delete shown through the watch', value: watchMs, unit: 'ms', target: '≤ 500', ok: watchMs <= 500 });

  // Cold: the page reloaded on the list, so nothing is listed yet in it.
  const cold = await showList(() => page.reload(), PODS - 1, true);
  const api = await page.evaluate(() => {
    const e = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).filter((r) => /\/api\/v1\/pods$/.test(r.name)).pop();
    return e ? { ms: e.responseEnd - e.startTime, kb: e.encodedBodySize / 1024 } : undefined;
  });
  rows.push({ figure: `pod list shown after a reload`, value: cold.ms, unit: 'ms', target: '≤ 2000', ok: cold.ms <= 2000, note: 'page load, list, render' });
  if (api) rows.push({ figure: 'after a reload: the list call', value: api.ms, unit: 'ms', note: `${api.kb.toFixed(0)} KB as sent` });
  rows.push({ figure: 'after a reload: page main-thread time', value: cold.pageCpuMs, unit: 'ms', note: 'the whole new document: bundle, list parse, render' });
  rows.push({ figure: 'after a reload: server CPU time', value: cold.serverCpuMs, unit: 'ms' });
  rows.push({ figure: 'loadavg_1m_max', value: Math.max(...loadAvgs), unit: 'load', note: 'the machine is shared: wall times follow it' });
  report('dashboard', rows, { pods: PODS, loadavg1m: { min: Math.min(...loadAvgs), max: Math.max(...loadAvgs) } });
} finally {
  await browser.close();
  await s.cleanup();
}
