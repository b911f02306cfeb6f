// Pod lifecycle in real containers, driven by the real kubectl against one `skiff server`
// with its supervised containerd (the real-node helper): probes, restarts and back-off,
// init containers and sidecars, volumes and env from the API, graceful and forced deletion
// and what they leave on the host, OOM kills, deadlines and container settings. Each theme
// (see pod-lifecycle/) is its own subtest with its own pods; they run side by side on the
// one node, eight at a time, to keep the suite fast without starving a 2-core machine.
// Traffic stays on loopback (kubectl ↔ apiserver ↔ agent) and inside the test's own pods.
//
// PODLIFE_ONLY=<regexp> runs only the themes whose names match (when chasing one failure).
import { test } from 'node:test';
import { realNodeMissing, startRealNode } from '../helpers/real-node.js';
import { containerSettingsThemes } from './pod-lifecycle/container-settings.js';
import { initContainersThemes } from './pod-lifecycle/init-containers.js';
import { probesThemes } from './pod-lifecycle/probes.js';
import { terminationThemes } from './pod-lifecycle/termination.js';
import { volumesEnvThemes } from './pod-lifecycle/volumes-env.js';

const themes = [...probesThemes, ...initContainersThemes, ...volumesEnvThemes, ...terminationThemes, ...containerSettingsThemes];

test('pod lifecycle in real containers through the real kubectl', { timeout: 300_000, concurrency: 8 }, async (t) => {
  const why = realNodeMissing();
  if (why) return t.skip(why);
  const only = process.env.PODLIFE_ONLY;
  const chosen = themes.filter(([name]) => !only || new RegExp(only).test(name));
  const t0 = Date.now();
  const node = await startRealNode();
  t.diagnostic(`real node ready in ${((Date.now() - t0) / 1000).toFixed(1)} s; running ${chosen.length} themes, 8 at a time`);
  try {
    await Promise.all(chosen.map(([name, run]) => t.test(name, { timeout: 120_000 }, (st) => run(st, node))));
  } finally {
    await node.cleanup();
  }
});
