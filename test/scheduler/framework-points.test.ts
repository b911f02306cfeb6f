// The framework's extension points after a node was chosen (Reserve, Unreserve, Permit,
// PreBind, Bind) and PostFilter: order, where they stop, and the statuses they return.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Framework, Nominator, type ExtensionPoints } from '../../src/scheduler/framework.js';
import { PodInfo } from '../../src/scheduler/pod-info.js';
import { Code, CycleState, Status, type Plugin } from '../../src/scheduler/types.js';
import { pod } from './harness.js';

function framework(points: Partial<ExtensionPoints>): Framework {
  const all: ExtensionPoints = {
    preFilter: [],
    filter: [],
    postFilter: [],
    preScore: [],
    score: [],
    reserve: [],
    permit: [],
    preBind: [],
    bind: [],
    ...points,
  };
  return new Framework('default-scheduler', all, new Nominator());
}

const p = new PodInfo({ ...pod('a'), metadata: { ...pod('a').metadata, uid: 'a' } }, 0);

test('Reserve stops at the first failure and names it; Unreserve runs on every Reserve plugin in reverse', () => {
  const calls: string[] = [];
  const plugin = (name: string, result?: Status): Plugin => ({
    name,
    reserve: () => {
      calls.push(`reserve ${name}`);
      return result;
    },
    unreserve: () => void calls.push(`unreserve ${name}`),
  });
  const fw = framework({ reserve: [plugin('A'), plugin('B', Status.error('disk full')), plugin('C')] });
  const s = fw.runReservePlugins(new CycleState(), p, 'n1');
  assert.equal(s?.code, Code.Error);
  assert.equal(s?.plugin, 'B');
  assert.equal(s?.message, 'running Reserve plugin "B": disk full');
  assert.deepEqual(calls, ['reserve A', 'reserve B']);
  fw.runUnreservePlugins(new CycleState(), p, 'n1');
  assert.deepEqual(calls.slice(2), ['unreserve C', 'unreserve B', 'unreserve A']);
  assert.equal(framework({ reserve: [plugin('A')] }).runReservePlugins(new CycleState(), p, 'n1'), undefined);
});

test('Permit: a rejection is returned as the plugin said it; any other failure becomes an error', () => {
  const rejecting: Plugin = { name: 'Gate', permit: () => Status.unschedulable('gate closed') };
  const r = framework({ permit: [{ name: 'Open', permit: () => undefined }, rejecting] }).runPermitPlugins(new CycleState(), p, 'n1');
  assert.equal(r?.code, Code.Unschedulable);
  assert.equal(r?.plugin, 'Gate');
  assert.equal(r?.message, 'gate closed');
  assert.ok(r?.isRejection());
  const waiting: Plugin = { name: 'Waiter', permit: () => new Status(Code.Wait, ['later'], 1000) };
  const w = framework({ permit: [waiting] }).runPermitPlugins(new CycleState(), p, 'n1');
  assert.equal(w?.code, Code.Error);
  assert.equal(w?.message, 'running Permit plugin "Waiter": later');
});

test('PreBind stops at the first failure; Bind skips to the next plugin, and says Skip when none bound', async () => {
  const order: string[] = [];
  const preBind = (name: string, result?: Status): Plugin => ({
    name,
    preBind: async () => {
      order.push(name);
      return result;
    },
  });
  const pb = await framework({ preBind: [preBind('V'), preBind('W', Status.error('no volume')), preBind('X')] }).runPreBindPlugins(new CycleState(), p, 'n1');
  assert.equal(pb?.message, 'running PreBind plugin "W": no volume');
  assert.deepEqual(order, ['V', 'W']);

  const bind = (name: string, result?: Status): Plugin => ({
    name,
    bind: async () => {
      order.push(name);
      return result;
    },
  });
  order.length = 0;
  assert.equal(await framework({ bind: [bind('Skipper', Status.skip), bind('Binder'), bind('Never')] }).runBindPlugins(new CycleState(), p, 'n1'), undefined);
  assert.deepEqual(order, ['Skipper', 'Binder']);
  const failed = await framework({ bind: [bind('Binder', Status.error('conflict'))] }).runBindPlugins(new CycleState(), p, 'n1');
  assert.equal(failed?.message, 'running Bind plugin "Binder": conflict');
  assert.equal((await framework({ bind: [bind('Skipper', Status.skip)] }).runBindPlugins(new CycleState(), p, 'n1'))?.code, Code.Skip);
});

test('PostFilter runs until one succeeds, keeps the last nomination and failure message, and reports throws', async () => {
  const errors: string[] = [];
  const plugin = (name: string, r: () => { status: Status; nominatedNodeName?: string }): Plugin => ({ name, postFilter: async () => r() });
  const fw = framework({
    postFilter: [
      plugin('Broken', () => {
        throw new Error('boom');
      }),
      plugin('NoVictims', () => ({ status: Status.unschedulable('no preemption victims found'), nominatedNodeName: '' })),
      plugin('Preempt', () => ({ status: new Status(Code.Success), nominatedNodeName: 'n2' })),
      plugin('Unreached', () => ({ status: Status.unschedulable('unreached') })),
    ],
  });
  const r = await fw.runPostFilterPlugins(new CycleState(), p, new Map(), (plugin, err) => errors.push(`${plugin}: ${err.message}`));
  assert.deepEqual(r, { nominatedNodeName: 'n2', message: 'no preemption victims found' });
  assert.deepEqual(errors, ['Broken: boom']);
  assert.deepEqual(await framework({}).runPostFilterPlugins(new CycleState(), p, new Map(), () => assert.fail('no plugin ran')), {
    nominatedNodeName: undefined,
    message: undefined,
  });
});
