// Go's time.ParseDuration and Duration.String, checked against the examples of Go's own
// documentation and tests: what Kubernetes writes for a metav1.Duration must read back here.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatGoDuration, parseGoDuration } from '../../src/util/go-duration.js';

test('parses what Go parses, in nanoseconds', () => {
  const cases: [string, number][] = [
    ['0', 0],
    ['5s', 5e9],
    ['-5s', -5e9],
    ['+5s', 5e9],
    ['5.6s', 5.6e9],
    ['5.s', 5e9],
    ['.5s', 0.5e9],
    ['1.004s', 1.004e9],
    ['100.00100s', 100.001e9],
    ['10ns', 10],
    ['11us', 11e3],
    ['12µs', 12e3],
    ['12μs', 12e3],
    ['13ms', 13e6],
    ['15m', 900e9],
    ['16h', 16 * 3600e9],
    ['3h30m', 3.5 * 3600e9],
    ['10.5s4m', 250.5e9],
    ['-2m3.4s', -123.4e9],
    ['1h2m3s4ms5us6ns', 3723e9 + 4e6 + 5e3 + 6],
  ];
  for (const [text, nanos] of cases) assert.equal(parseGoDuration(text), nanos, text);
});

test('refuses what Go refuses', () => {
  for (const bad of ['', '3', '-', 's', '.', '-.', '.s', '+.s', '1d', '1s ', 'five seconds']) {
    assert.throws(() => parseGoDuration(bad), /invalid duration/, JSON.stringify(bad));
  }
});

test("writes Go's Duration.String()", () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [1, '1ns'],
    [1100, '1.1µs'],
    [2_200_000, '2.2ms'],
    [500e6, '500ms'],
    [3.3e9, '3.3s'],
    [15.002e9, '15.002s'],
    [60e9, '1m0s'],
    [245e9, '4m5s'],
    [245.001e9, '4m5.001s'],
    [(5 * 3600 + 6 * 60 + 7.001) * 1e9, '5h6m7.001s'],
    [8 * 60e9 + 1, '8m0.000000001s'],
    [-1.5e9, '-1.5s'],
  ];
  for (const [nanos, text] of cases) assert.equal(formatGoDuration(nanos), text, String(nanos));
});
