// Flow control without a server: classification against Kubernetes' bootstrap
// configuration, shuffle sharding, and fair queuing inside one priority level.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MANDATORY_FLOW_SCHEMAS,
  MANDATORY_PRIORITY_LEVELS,
  SUGGESTED_FLOW_SCHEMAS,
  SUGGESTED_PRIORITY_LEVELS,
} from '../../../src/apiserver/flowcontrol/bootstrap.js';
import type { RequestDigest } from '../../../src/apiserver/flowcontrol/classify.js';
import { estimateSeats, FlowControl } from '../../../src/apiserver/flowcontrol/dispatcher.js';
import { digestRequest } from '../../../src/apiserver/flowcontrol/http-hook.js';
import { QueueSet, Rejected } from '../../../src/apiserver/flowcontrol/queue-set.js';
import { dealHand, flowHash } from '../../../src/apiserver/flowcontrol/shuffle-shard.js';
import { validateFlowSchema, validatePriorityLevel } from '../../../src/api/flowcontrol/index.js';

function bootstrapped(): FlowControl {
  const fc = new FlowControl();
  fc.configure([...MANDATORY_FLOW_SCHEMAS, ...SUGGESTED_FLOW_SCHEMAS], [...MANDATORY_PRIORITY_LEVELS, ...SUGGESTED_PRIORITY_LEVELS]);
  return fc;
}

const authed = (username: string, ...groups: string[]) => ({ username, groups: [...groups, 'system:authenticated'] });
function digest(user: RequestDigest['user'] | undefined, method: string, path: string, query = ''): RequestDigest {
  const d = digestRequest(user, method, path, new URLSearchParams(query));
  assert.ok(d, `${method} ${path} is long-running`);
  return d;
}

describe('classification', () => {
  const fc = bootstrapped();
  const cases: [string, RequestDigest, string, string, string][] = [
    ['system:masters', digest(authed('admin', 'system:masters'), 'GET', '/api/v1/pods'), 'exempt', 'exempt', ''],
    ['anonymous probe', digest(undefined, 'GET', '/readyz'), 'probes', 'exempt', ''],
    ['probe by a user', digest(authed('alice'), 'GET', '/livez'), 'probes', 'exempt', ''],
    [
      'controller-manager lease',
      digest(authed('system:kube-controller-manager'), 'PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kcm'),
      'system-leader-election',
      'leader-election',
      'system:kube-controller-manager',
    ],
    [
      'controller-manager list',
      digest(authed('system:kube-controller-manager'), 'GET', '/api/v1/namespaces/ns1/pods'),
      'kube-controller-manager',
      'workload-high',
      'ns1',
    ],
    ['node status', digest(authed('system:node:n1', 'system:nodes'), 'PATCH', '/api/v1/nodes/n1/status'), 'system-node-high', 'node-high', 'system:node:n1'],
    [
      'node lease',
      digest(authed('system:node:n1', 'system:nodes'), 'PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1'),
      'system-node-high',
      'node-high',
      'system:node:n1',
    ],
    ['node reads pods', digest(authed('system:node:n1', 'system:nodes'), 'GET', '/api/v1/pods'), 'system-nodes', 'system', 'system:node:n1'],
    [
      'kube-system SA lease',
      digest(authed('system:serviceaccount:kube-system:x', 'system:serviceaccounts'), 'GET', '/apis/coordination.k8s.io/v1/namespaces/apps/leases/l'),
      'workload-leader-election',
      'leader-election',
      'system:serviceaccount:kube-system:x',
    ],
    [
      'kube-system SA',
      digest(authed('system:serviceaccount:kube-system:x', 'system:serviceaccounts'), 'GET', '/api/v1/namespaces/a/configmaps'),
      'kube-system-service-accounts',
      'workload-high',
      'a',
    ],
    [
      'other SA',
      digest(authed('system:serviceaccount:default:app', 'system:serviceaccounts'), 'GET', '/api/v1/namespaces/default/pods'),
      'service-accounts',
      'workload-low',
      'system:serviceaccount:default:app',
    ],
    ['a user', digest(authed('alice'), 'GET', '/api/v1/namespaces/default/pods'), 'global-default', 'global-default', 'alice'],
    ['a user, non-resource', digest(authed('alice'), 'GET', '/version'), 'global-default', 'global-default', 'alice'],
  ];
  for (const [what, d, schema, level, dist] of cases)
    it(`${what} → ${schema} / ${level}`, () => {
      const c = fc.classify(d);
      assert.equal(c.schema.metadata?.name, schema);
      assert.equal(c.level.metadata?.name, level);
      assert.equal(c.distinguisher, dist);
    });

  it('the lower precedence wins, and a schema whose level is missing (dangling) matches nothing', () => {
    const mine = (name: string, level: string, precedence: number) => ({
      metadata: { name },
      spec: {
        priorityLevelConfiguration: { name: level },
        matchingPrecedence: precedence,
        rules: [{ subjects: [{ kind: 'User', user: { name: 'bob' } }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['/version'] }] }],
      },
    });
    const f = new FlowControl();
    f.configure(
      [
        ...MANDATORY_FLOW_SCHEMAS,
        ...SUGGESTED_FLOW_SCHEMAS,
        mine('b-late', 'workload-low', 600),
        mine('a-early', 'workload-high', 500),
        mine('dangling', 'nope', 10),
      ],
      [...MANDATORY_PRIORITY_LEVELS, ...SUGGESTED_PRIORITY_LEVELS],
    );
    assert.equal(f.classify(digest(authed('bob'), 'GET', '/version')).schema.metadata?.name, 'a-early');
  });

  it('exec, attach, port-forward, logs and proxy are long-running: no flow control', () => {
    for (const p of [
      '/api/v1/namespaces/a/pods/p/exec',
      '/api/v1/namespaces/a/pods/p/log',
      '/api/v1/namespaces/a/pods/p/portforward',
      '/api/v1/namespaces/a/services/s/proxy/x/y',
    ])
      assert.equal(digestRequest(authed('alice'), 'GET', p, new URLSearchParams()), undefined, p);
  });

  it('the server limit is split by shares: global-default gets ceil(600 × 20 / 245)', () => {
    assert.equal(fc.levelState('global-default')?.concurrency, Math.ceil((600 * 20) / 245));
    assert.equal(fc.levelState('exempt')?.concurrency, undefined);
  });

  it('lists are charged seats for the objects they walk', () => {
    assert.equal(estimateSeats('get', 5000, 0), 1);
    assert.equal(estimateSeats('list', 50, 0), 1);
    assert.equal(estimateSeats('list', 450, 0), 5);
    assert.equal(estimateSeats('list', 50_000, 0), 10);
    assert.equal(estimateSeats('list', 50_000, 200), 2);
  });
});

describe('validation', () => {
  it('rejects a bad precedence, distinguisher and hand size', () => {
    const fs = validateFlowSchema({ spec: { priorityLevelConfiguration: { name: 'x' }, matchingPrecedence: 0, distinguisherMethod: { type: 'ByColour' } } });
    assert.deepEqual(
      fs.map((e) => e.field),
      ['spec.matchingPrecedence', 'spec.distinguisherMethod.type'],
    );
    const pl = validatePriorityLevel({
      metadata: { name: 'x' },
      spec: {
        type: 'Limited',
        limited: { nominalConcurrencyShares: 1, limitResponse: { type: 'Queue', queuing: { queues: 4, handSize: 8, queueLengthLimit: 1 } } },
      },
    });
    assert.match(pl[0]!.message, /should not be greater than queues/);
  });
});

describe('shuffle sharding', () => {
  it('deals distinct queues in range, the same hand for the same flow', () => {
    for (let i = 0; i < 200; i++) {
      const h = flowHash('global-default', `user-${i}`);
      const hand = dealHand(h, 128, 6);
      assert.equal(new Set(hand).size, 6);
      assert.ok(hand.every((q) => q >= 0 && q < 128));
      assert.deepEqual(dealHand(h, 128, 6), hand);
    }
  });
  it('spreads flows: no two of 200 flows get the same whole hand', () => {
    const hands = new Set<string>();
    for (let i = 0; i < 200; i++) hands.add(JSON.stringify([...dealHand(flowHash('s', `u${i}`), 64, 6)].sort((a, b) => a - b)));
    assert.equal(hands.size, 200);
  });
});

describe('fair queuing', () => {
  const queuing = { queues: 16, handSize: 4, queueLengthLimit: 100 };
  it('a flooding flow does not starve another flow of the same level', async () => {
    const set = new QueueSet({ concurrency: 2, queuing });
    const flood = flowHash('s', 'flooder');
    const quiet = flowHash('s', 'quiet');
    const order: string[] = [];
    const run = (flow: bigint, tag: string) =>
      set.enqueue(flow, 1, 10_000).admitted.then((release) => {
        order.push(tag);
        setTimeout(release, 3); // requests take time: fair queuing shares seat-time
      });
    const all = [];
    for (let i = 0; i < 60; i++) all.push(run(flood, 'F'));
    for (let i = 0; i < 5; i++) all.push(run(quiet, 'Q'));
    await Promise.all(all);
    // Queued behind 60 flooding requests, the quiet flow's 5 go out alternately with them.
    const lastQuiet = order.lastIndexOf('Q');
    assert.ok(lastQuiet < 16, `the quiet flow finished at position ${lastQuiet}: ${order.join('')}`);
  });

  it('a full queue rejects; a request waits no longer than its limit', async () => {
    const set = new QueueSet({ concurrency: 1, queuing: { queues: 1, handSize: 1, queueLengthLimit: 2 } });
    const f = flowHash('s', 'f');
    const held = await set.enqueue(f, 1, 1000).admitted;
    const w1 = set.enqueue(f, 1, 100).admitted;
    const w2 = set.enqueue(f, 1, 5000).admitted;
    await assert.rejects(set.enqueue(f, 1, 1000).admitted, (e: unknown) => e instanceof Rejected && e.why === 'queue-full');
    await assert.rejects(w1, (e: unknown) => e instanceof Rejected && e.why === 'time-out');
    held();
    (await w2)();
    assert.equal(set.inUse, 0);
  });

  it('limitResponse Reject turns requests away at once when the level is full', async () => {
    const set = new QueueSet({ concurrency: 1 });
    const release = await set.enqueue(1n, 1, 1000).admitted;
    await assert.rejects(set.enqueue(2n, 1, 1000).admitted, (e: unknown) => e instanceof Rejected && e.why === 'concurrency-limit');
    release();
    (await set.enqueue(2n, 1, 1000).admitted)();
  });

  it('a withdrawn request gives its place up', async () => {
    const set = new QueueSet({ concurrency: 1, queuing });
    const release = await set.enqueue(1n, 1, 1000).admitted;
    const t = set.enqueue(2n, 1, 5000);
    t.cancel();
    await assert.rejects(t.admitted, (e: unknown) => e instanceof Rejected && e.why === 'cancelled');
    assert.equal(set.waiting, 0);
    release();
  });
});
