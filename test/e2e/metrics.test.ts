// kubectl top against a real container: a pod spinning a CPU loop (held to 250m by its
// limit, so its rate is steady), and the CPU `kubectl top` reports compared with the
// container's own cgroup counter (cgroup v2 cpu.stat usage_usec, or v1 cpuacct.usage)
// read by the test over a window that contains the one the figure was computed over.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { realNodeMissing, startRealNode } from '../helpers/real-node.js';
import { sleep, waitFor } from '../helpers/wait.js';

const RESOLUTION_S = 3;

/** The pid whose command line holds `marker`. */
function pidOf(marker: string): number | undefined {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(marker)) return Number(d);
    } catch {
      /* gone meanwhile */
    }
  }
  return undefined;
}

/** A reader of the process' cgroup CPU counter, in ns: cgroup v2's cpu.stat or v1's cpuacct.usage. */
function cgroupCpu(pid: number): { file: string; read(): number } {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  const v1 = lines.map((l) => l.split(':')).find((f) => f[1]?.split(',').includes('cpuacct'));
  if (v1) {
    const mount = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' '))
      .find((f) => f.includes('cgroup') && (f[f.length - 1] ?? '').split(',').includes('cpuacct'));
    assert.ok(mount, 'a cgroup v1 cpuacct mount');
    const file = join(mount[4]!, v1[2]!, 'cpuacct.usage');
    return { file, read: () => Number(readFileSync(file, 'utf8').trim()) };
  }
  const v2 = lines.find((l) => l.startsWith('0::'));
  assert.ok(v2, `no cpu cgroup in /proc/${pid}/cgroup: ${lines.join(' | ')}`);
  const file = join('/sys/fs/cgroup', v2.slice(3), 'cpu.stat');
  return { file, read: () => Number(/^usage_usec (\d+)$/m.exec(readFileSync(file, 'utf8'))![1]) * 1000 };
}

test('kubectl top pod of a real CPU loop is within 20 % of its cgroup counter', { timeout: 240_000 }, async (t) => {
  const why = realNodeMissing();
  if (why) return t.skip(why);
  const node = await startRealNode(['--metrics-resolution', `${RESOLUTION_S}s`]);
  const marker = `spin-${randomBytes(4).toString('hex')}`;
  try {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'spin' },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'loop',
            image: 'skiff.local/busybox:1.35',
            imagePullPolicy: 'IfNotPresent',
            // $0 carries the marker, so the test finds the process in /proc.
            command: ['sh', '-c', 'while :; do :; done', marker],
            resources: { limits: { cpu: '250m', memory: '32Mi' } },
          },
        ],
      },
    };
    const applied = await node.kubectl(['apply', '-f', '-'], { input: JSON.stringify(pod) });
    assert.equal(applied.code, 0, applied.stderr);
    const top = async () => {
      const r = await node.kubectl(['top', 'pod', 'spin', '--no-headers']);
      const m = /^spin\s+(\d+)m\s+(\d+)Mi/.exec(r.stdout.trim());
      return m ? { cpuMilli: Number(m[1]), memMi: Number(m[2]) } : undefined;
    };
    await waitFor('spin in kubectl top', 90_000, top, () => node.logs(), 1000);
    const pid = pidOf(marker);
    assert.ok(pid, `the loop's process (${marker}) is on this host`);
    const cg = cgroupCpu(pid);

    // The figure kubectl shows is a rate between two scrapes; once two more have run after
    // t0, that window lies inside [t0, t1].
    const results: string[] = [];
    let within = false;
    for (let attempt = 0; attempt < 3 && !within; attempt++) {
      const t0 = performance.now();
      const c0 = cg.read();
      await sleep((2 * RESOLUTION_S + 1.5) * 1000);
      const shown = await top();
      const c1 = cg.read();
      const t1 = performance.now();
      assert.ok(shown, 'kubectl top pod spin prints a row');
      const cgroupMilli = ((c1 - c0) / ((t1 - t0) * 1e6)) * 1000;
      results.push(`kubectl top ${shown.cpuMilli}m vs cgroup ${cgroupMilli.toFixed(0)}m (${cg.file})`);
      // The limit holds the loop at ≤ 250m; a busy machine may give it less, which both must see.
      assert.ok(cgroupMilli > 20, `the loop got almost no CPU: ${results.join('; ')}`);
      within = Math.abs(shown.cpuMilli - cgroupMilli) <= 0.2 * cgroupMilli;
    }
    assert.ok(within, `kubectl top not within 20 % of the cgroup: ${results.join('; ')}`);
    t.diagnostic(results.join('; '));

    const nodes = await node.kubectl(['top', 'nodes', '--no-headers']);
    assert.equal(nodes.code, 0, nodes.stderr);
    assert.match(nodes.stdout, /^\S+\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%/m, 'the node has CPU and memory figures');
    const summary = JSON.parse((await node.kubectl(['get', '--raw', `/api/v1/nodes/${nodes.stdout.trim().split(/\s+/)[0]}/proxy/stats/summary`])).stdout) as {
      pods: { podRef: { name: string }; containers: { name: string; memory: { workingSetBytes: number } }[]; network?: { rxBytes?: number } }[];
    };
    const spin = summary.pods.find((p) => p.podRef.name === 'spin');
    assert.ok(spin, 'spin in /stats/summary');
    assert.equal(spin.containers[0]!.name, 'loop');
    assert.ok(spin.containers[0]!.memory.workingSetBytes > 0);
  } finally {
    await node.kubectl(['delete', 'pod', 'spin', '--wait=false']);
    await node.cleanup();
  }
});
