// The strict text-format reader the /metrics tests rely on: it reads prom-client's own
// output, and refuses each kind of malformed text a Prometheus server would refuse.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { parsePrometheusText, samples, total } from '../helpers/prom-text.js';

test('reads what prom-client writes: counters with escaped labels and histograms', async () => {
  const r = new Registry();
  const c = new Counter({ name: 'x_total', help: 'h', labelNames: ['a'], registers: [r] });
  c.inc({ a: 'quote " back \\ nl \n' }, 2);
  const h = new Histogram({ name: 'd_seconds', help: 'h', labelNames: ['op'], buckets: [0.1, 1], registers: [r] });
  h.observe({ op: 'get' }, 0.5);
  h.observe({ op: 'get' }, 0.05);
  const f = parsePrometheusText(await r.metrics());
  assert.equal(f.get('x_total')?.type, 'counter');
  assert.equal(total(f, 'x_total', { a: 'quote " back \\ nl \n' }), 2);
  assert.equal(f.get('d_seconds')?.type, 'histogram');
  assert.deepEqual(
    samples(f, 'd_seconds_bucket', { op: 'get' }).map((s) => [s.labels.le, s.value]),
    [
      ['0.1', 1],
      ['1', 2],
      ['+Inf', 2],
    ],
  );
  assert.equal(total(f, 'd_seconds_count', { op: 'get' }), 2);
});

test('refuses malformed text', () => {
  const bad: [string, string][] = [
    ['no final newline', 'a 1'],
    ['unquoted label value', 'a{b=c} 1\n'],
    ['bad escape', 'a{b="\\x"} 1\n'],
    ['value not a float', 'a 1x\n'],
    ['no value', 'a{b="c"}\n'],
    ['bad metric name', '1a 1\n'],
    ['bad label name', 'a{1b="c"} 1\n'],
    ['unknown type', '# TYPE a countr\na 1\n'],
    ['series twice', 'a{b="c"} 1\na{b="c"} 2\n'],
    ['family split', '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x="y"} 2\n'],
    ['TYPE after samples', 'a 1\n# TYPE a gauge\n'],
    ['histogram not cumulative', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'],
    ['histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
    ['histogram count disagrees', '# TYPE h histogram\nh_bucket{le="+Inf"} 3\nh_sum 1\nh_count 2\n'],
    ['unterminated label value', 'a{b="c} 1\n'],
  ];
  for (const [what, text] of bad) assert.throws(() => parsePrometheusText(text), Error, what);
});
