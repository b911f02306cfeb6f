// Hand-built wire bodies for what kubectl's create subcommands never send:
// times, int-or-string, inline structs, pointer zeros, packed scalars and
// the error paths.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { decodeKubernetesProtobuf, ProtobufDecodeError } from '../../src/apiserver/protobuf/envelope.js';
import { KIND_MESSAGES } from '../../src/apiserver/protobuf/wire.generated.js';

// [field number, value]: string/bytes/nested → length-delimited, number/bool → varint.
type F = [number, string | number | boolean | Uint8Array | F[]];

function enc(fields: F[]): Uint8Array {
  const w = protobuf.Writer.create();
  for (const [id, v] of fields) {
    if (typeof v === 'string') w.uint32((id << 3) | 2).string(v);
    else if (v instanceof Uint8Array) w.uint32((id << 3) | 2).bytes(v);
    else if (Array.isArray(v)) w.uint32((id << 3) | 2).bytes(enc(v));
    else w.uint32(id << 3).int64(typeof v === 'boolean' ? Number(v) : v);
  }
  return w.finish();
}

// Tests reach deep into decoded objects by path.
type Obj = Record<string, any>;

const MAGIC = Buffer.from('k8s\0', 'binary');
const body = (apiVersion: string, kind: string, raw: F[], extra: F[] = []) =>
  Buffer.concat([
    MAGIC,
    enc([
      [
        1,
        [
          [1, apiVersion],
          [2, kind],
        ],
      ],
      [2, enc(raw)],
      ...extra,
    ]),
  ]);

const meta = (name: string, more: F[] = []): F => [1, [[1, name], [8, []], ...more]];

test('envelope: apiVersion/kind come first, zero creationTimestamp is null', () => {
  const obj = decodeKubernetesProtobuf(body('v1', 'ServiceAccount', [meta('sa')]));
  assert.deepEqual(Object.keys(obj), ['kind', 'apiVersion', 'metadata']);
  assert.deepEqual(obj, { kind: 'ServiceAccount', apiVersion: 'v1', metadata: { name: 'sa', creationTimestamp: null } });
});

test('metav1.Time → RFC3339 in UTC with whole seconds', () => {
  const obj = decodeKubernetesProtobuf(
    body('v1', 'ConfigMap', [
      [
        1,
        [
          [1, 'cm'],
          [
            8,
            [
              [1, 1704067200],
              [2, 999],
            ],
          ],
          [9, [[1, 1704070861]]],
          [10, 0],
        ],
      ],
    ]),
  );
  assert.deepEqual(obj['metadata'], {
    name: 'cm',
    creationTimestamp: '2024-01-01T00:00:00Z',
    deletionTimestamp: '2024-01-01T01:01:01Z',
    deletionGracePeriodSeconds: 0,
  });
});

test('scalars: "" and non-pointer zeros drop, pointer zeros and non-omitempty fields stay', () => {
  const container: F[] = [
    [1, 'c'],
    [2, ''],
    [16, false],
    [17, false],
    [18, false],
    [8, []],
    [13, ''],
  ];
  const obj = decodeKubernetesProtobuf(body('v1', 'ServiceAccount', [meta('sa'), [4, false]]));
  assert.equal(obj['automountServiceAccountToken'], false);
  const dep = decodeKubernetesProtobuf(
    body('apps/v1', 'Deployment', [
      meta('d'),
      [
        2,
        [
          [1, 0],
          [5, 0],
          [7, false],
          [
            3,
            [
              [1, []],
              [
                2,
                [
                  [2, container],
                  [11, false],
                  [21, false],
                ],
              ],
            ],
          ],
        ],
      ],
    ]),
  );
  const spec = dep['spec'] as Obj;
  assert.equal(spec['replicas'], 0);
  assert.equal(spec['selector'], null); // *LabelSelector without omitempty
  assert.equal('minReadySeconds' in spec, false);
  assert.equal('paused' in spec, false);
  assert.deepEqual(spec['template'].spec, { containers: [{ name: 'c', resources: {} }], automountServiceAccountToken: false });
  // A container with no name still shows "name": "" (no omitempty in Go).
  const nameless = decodeKubernetesProtobuf(body('batch/v1', 'Job', [[2, [[6, [[2, [[2, []]]]]]]]]));
  assert.deepEqual((nameless['spec'] as Obj).template.spec.containers, [{ name: '', resources: {} }]); // a struct is always written
});

test('intstr.IntOrString → number or string; Quantity → its string', () => {
  const dep = decodeKubernetesProtobuf(
    body('apps/v1', 'Deployment', [
      meta('d'),
      [
        2,
        [
          [
            4,
            [
              [1, 'RollingUpdate'],
              [
                2,
                [
                  [
                    1,
                    [
                      [1, 0],
                      [2, 0],
                    ],
                  ],
                  [
                    2,
                    [
                      [1, 1],
                      [3, '25%'],
                    ],
                  ],
                ],
              ],
            ],
          ],
        ],
      ],
    ]),
  );
  assert.deepEqual((dep['spec'] as Record<string, unknown>)['strategy'], { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } });
  const quota = decodeKubernetesProtobuf(
    body('v1', 'ResourceQuota', [
      meta('q'),
      [
        2,
        [
          [
            1,
            [
              [1, 'cpu'],
              [2, [[1, '500m']]],
            ],
          ],
        ],
      ],
    ]),
  );
  assert.deepEqual(quota['spec'], { hard: { cpu: '500m' } });
});

test('inline structs merge into their parent; empty messages stay as {}', () => {
  const pod: F[] = [
    [
      1,
      [
        [1, 'cache'],
        [2, [[2, []]]],
      ],
    ],
    [
      1,
      [
        [1, 'cfg'],
        [
          2,
          [
            [
              19,
              [
                [1, [[1, 'settings']]],
                [3, 420],
              ],
            ],
          ],
        ],
      ],
    ],
    [
      2,
      [
        [1, 'c'],
        [8, []],
        [
          10,
          [
            [
              1,
              [
                [
                  2,
                  [
                    [1, '/healthz'],
                    [
                      2,
                      [
                        [1, 1],
                        [3, 'http'],
                      ],
                    ],
                  ],
                ],
              ],
            ],
            [3, 5],
          ],
        ],
        [
          7,
          [
            [1, 'PASS'],
            [
              3,
              [
                [
                  4,
                  [
                    [1, [[1, 's']]],
                    [2, 'p'],
                  ],
                ],
              ],
            ],
          ],
        ],
      ],
    ],
    [14, []],
  ];
  const job = decodeKubernetesProtobuf(body('batch/v1', 'Job', [meta('j'), [2, [[6, [[2, pod]]]]]]));
  const spec = (job['spec'] as Obj).template.spec;
  assert.deepEqual(spec.volumes, [
    { name: 'cache', emptyDir: {} },
    { name: 'cfg', configMap: { name: 'settings', defaultMode: 420 } },
  ]);
  assert.deepEqual(spec.containers[0].livenessProbe, { httpGet: { path: '/healthz', port: 'http' }, timeoutSeconds: 5 });
  assert.deepEqual(spec.containers[0].env, [{ name: 'PASS', valueFrom: { secretKeyRef: { name: 's', key: 'p' } } }]);
  assert.deepEqual(spec.securityContext, {});
});

test('bytes map values are base64; a nil map value reads back as ""', () => {
  const obj = decodeKubernetesProtobuf(
    body('v1', 'Secret', [
      meta('s'),
      [
        2,
        [
          [1, 'a'],
          [2, new Uint8Array([0, 1, 2, 255])],
        ],
      ],
      [2, [[1, 'nil']]],
      [3, 'Opaque'],
    ]),
  );
  assert.deepEqual(obj['data'], { a: 'AAEC/w==', nil: '' });
  assert.equal(obj['type'], 'Opaque');
});

test('repeated scalars decode packed and unpacked', () => {
  const packed = protobuf.Writer.create().int64(1000).int64(2000).finish();
  const unpacked: F[] = [
    [4, 1000],
    [4, 2000],
  ];
  for (const sc of [[[4, packed]] as F[], unpacked]) {
    const job = decodeKubernetesProtobuf(body('batch/v1', 'Job', [meta('j'), [2, [[6, [[2, [[14, sc]]]]]]]]));
    assert.deepEqual((job['spec'] as Obj).template.spec.securityContext, { supplementalGroups: [1000, 2000] });
  }
});

test('managedFields: time and fieldsV1 JSON', () => {
  const obj = decodeKubernetesProtobuf(
    body('v1', 'Namespace', [
      [
        1,
        [
          [1, 'n'],
          [8, []],
          [
            17,
            [
              [1, 'kubectl'],
              [2, 'Update'],
              [3, 'v1'],
              [4, [[1, 1704067200]]],
              [6, 'FieldsV1'],
              [7, [[1, '{"f:metadata":{}}']]],
            ],
          ],
        ],
      ],
    ]),
  );
  assert.deepEqual((obj['metadata'] as Record<string, unknown>)['managedFields'], [
    { manager: 'kubectl', operation: 'Update', apiVersion: 'v1', time: '2024-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': {} } },
  ]);
});

test('every kind in the table decodes an empty object', () => {
  for (const key of Object.keys(KIND_MESSAGES)) {
    const slash = key.lastIndexOf('/');
    const obj = decodeKubernetesProtobuf(body(key.slice(0, slash), key.slice(slash + 1), []));
    assert.equal(obj['kind'], key.slice(slash + 1));
  }
});

const rejects = (buf: Buffer, re: RegExp) =>
  assert.throws(
    () => decodeKubernetesProtobuf(buf),
    (err: unknown) => err instanceof ProtobufDecodeError && re.test(err.message),
  );

test('errors: bad magic, a kind without protobuf form, wrong wire type, truncation, encodings', () => {
  rejects(Buffer.from('{"kind":"Namespace"}'), /magic/);
  rejects(Buffer.alloc(0), /magic/);
  rejects(body('stable.example.com/v1', 'CronTab', []), /stable\.example\.com\/v1 CronTab has no protobuf form/);
  rejects(body('', '', []), /no apiVersion\/kind/);
  rejects(body('v1', 'Namespace', [[1, 7]]), /metadata: wire type 0/);
  const whole = body('v1', 'Namespace', [meta('a-long-enough-name')]);
  rejects(whole.subarray(0, whole.length - 3), /malformed protobuf body/);
  rejects(body('v1', 'Namespace', [], [[3, 'gzip']]), /contentEncoding "gzip"/);
  rejects(body('v1', 'Namespace', [], [[4, 'application/json']]), /contentType "application\/json"/);
});

test('a field number the table does not know is skipped, as gogo-protobuf does', () => {
  const obj = decodeKubernetesProtobuf(body('v1', 'Namespace', [meta('a'), [99, 'from a newer client']])) as Obj;
  assert.equal(obj['metadata']['name'], 'a');
  assert.equal(JSON.stringify(obj).includes('newer'), false);
});
