// Fair turns: bulk work in the server's process steps aside for I/O once a turn has run
// its budget, and ordered jobs keep their order while doing so.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fairTurn, OrderedTurns, TURN_BUDGET_MS } from '../../src/util/turns.js';

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Burns CPU as a create or a watch fan-out would.
  }
}

describe('fairTurn', () => {
  it('lets a timer run between pieces of bulk work that each wait for a turn', async () => {
    const ticks: number[] = [];
    const t0 = performance.now();
    const timer = setInterval(() => ticks.push(performance.now() - t0), 1);
    // 200 pieces of 2 ms started together, as a slow-start batch of creates would be.
    await Promise.all(
      Array.from({ length: 200 }, async () => {
        await fairTurn();
        busy(2);
      }),
    );
    clearInterval(timer);
    const total = performance.now() - t0;
    const gaps = ticks.map((t, i) => t - (ticks[i - 1] ?? 0));
    assert.ok(ticks.length >= 10, `the timer ran ${ticks.length} times in ${total.toFixed(0)} ms of bulk work`);
    // A turn runs at most its budget plus one piece; the first gap includes the first turn.
    const worst = Math.max(...gaps.slice(1));
    assert.ok(worst < TURN_BUDGET_MS * 25, `the timer waited ${worst.toFixed(0)} ms between two runs`);
  });

  it('resolves at once when the process is idle', async () => {
    await new Promise((r) => setImmediate(r));
    let resolved = false;
    const p = fairTurn().then(() => (resolved = true));
    await Promise.resolve();
    await Promise.resolve();
    assert.equal(resolved, true);
    await p;
  });
});

describe('OrderedTurns', () => {
  it('runs jobs in the order they were queued, across turns, with I/O between', async () => {
    const q = new OrderedTurns();
    const order: number[] = [];
    let timerRuns = 0;
    const timer = setInterval(() => timerRuns++, 1);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        q.run(() => {
          busy(1);
          order.push(i);
          return i * 2;
        }),
      ),
    );
    clearInterval(timer);
    assert.deepEqual(
      order,
      Array.from({ length: 100 }, (_, i) => i),
    );
    assert.deepEqual(
      results,
      Array.from({ length: 100 }, (_, i) => i * 2),
    );
    assert.ok(timerRuns >= 3, `the timer ran ${timerRuns} times during 100 ms of ordered jobs`);
  });

  it('rejects the one job that throws and goes on with the rest', async () => {
    const q = new OrderedTurns();
    const a = q.run(() => {
      throw new Error('boom');
    });
    const b = q.run(() => 'after');
    await assert.rejects(a, /boom/);
    assert.equal(await b, 'after');
  });
});
