import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTime, formatTimeNs, microTime, parseTimeNs } from '../../src/util/time.js';

test('formatTime writes metav1.Time: whole seconds in UTC, the fraction dropped (not rounded)', () => {
  assert.equal(formatTime(Date.UTC(2024, 0, 2, 3, 4, 5, 999)), '2024-01-02T03:04:05Z');
  assert.equal(formatTime(Date.UTC(2024, 0, 2, 3, 4, 5, 0)), '2024-01-02T03:04:05Z');
  assert.equal(formatTime(-1500), '1969-12-31T23:59:58Z');
  assert.match(formatTime(), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
});

test('microTime keeps six fractional digits; RFC3339Nano round-trips through parseTimeNs/formatTimeNs', () => {
  assert.equal(microTime(Date.UTC(2024, 0, 2, 3, 4, 5, 678)), '2024-01-02T03:04:05.678000Z');
  const ns = parseTimeNs('2024-01-02T03:04:05.123456789Z');
  assert.equal(ns, BigInt(Date.UTC(2024, 0, 2, 3, 4, 5)) * 1_000_000n + 123_456_789n);
  assert.equal(formatTimeNs(ns!), '2024-01-02T03:04:05.123456789Z');
  assert.equal(formatTimeNs(BigInt(Date.UTC(2024, 0, 2, 3, 4, 5)) * 1_000_000n), '2024-01-02T03:04:05Z');
  assert.equal(parseTimeNs('2024-01-02T04:04:05+01:00'), BigInt(Date.UTC(2024, 0, 2, 3, 4, 5)) * 1_000_000n);
  assert.equal(parseTimeNs('yesterday'), undefined);
});
