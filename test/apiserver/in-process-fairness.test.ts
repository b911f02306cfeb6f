// In-process requests resolve through promise jobs alone; a component working through a
// backlog must still let the event loop run timers and I/O (the HTTPS server, lease renewals).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from '../../src/client/client.js';
import { TestApi } from './setup.js';

test('a component looping on in-process requests does not starve timers and I/O', async () => {
  const t = await TestApi.start('memory');
  try {
    const client = new Client(t.api.transport());
    await client.configMaps.create({ metadata: { name: 'x', namespace: 'default' }, data: { a: '1' } });
    let timerFired = false;
    let doneWhenTimerFired = -1;
    let done = 0;
    setTimeout(() => {
      timerFired = true;
      doneWhenTimerFired = done;
    }, 0);
    // Bounded: stops once the timer has had its turn, or after this many requests.
    const LIMIT = 200_000;
    while (!timerFired && done < LIMIT) {
      await client.configMaps.get('x', 'default');
      done++;
    }
    assert.ok(timerFired && doneWhenTimerFired < LIMIT, `a 0 ms timer did not run during ${done} back-to-back in-process requests`);
  } finally {
    await t.close();
  }
});
