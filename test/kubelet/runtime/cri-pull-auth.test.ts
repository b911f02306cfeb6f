// Pull credentials on the wire: the PullImageRequest the CRI client serializes carries the
// AuthConfig at field 2 with username/password/auth at fields 1–3 (server_address, field 4, left empty), as in
// cri-api's api.proto — checked on the raw protobuf bytes, not through the same proto.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authToWire } from '../../../src/kubelet/runtime/cri/convert.js';
import { serviceDefinition } from '../../../src/kubelet/runtime/cri/grpc-client.js';

/** Length-delimited fields of one protobuf message: field number → payloads. */
function lengthDelimited(buf: Buffer): Map<number, Buffer[]> {
  const out = new Map<number, Buffer[]>();
  let i = 0;
  const varint = () => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = buf[i++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return v;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const wire = key & 7;
    assert.equal(wire, 2, `only length-delimited fields expected, got wire type ${wire}`);
    const len = varint();
    const field = Math.floor(key / 8);
    out.set(field, [...(out.get(field) ?? []), buf.subarray(i, i + len)]);
    i += len;
  }
  return out;
}

test('PullImageRequest carries AuthConfig with api.proto field numbers', () => {
  const pull = serviceDefinition('ImageService').PullImage!;
  const auth = authToWire({ username: 'skiff', password: 's3cret', auth: Buffer.from('skiff:s3cret').toString('base64'), serverAddress: '127.0.0.1:5000' });
  const bytes = pull.requestSerialize({ image: { image: '127.0.0.1:5000/skiff/busybox:1.35' }, auth, sandboxConfig: null });
  const req = lengthDelimited(bytes);
  assert.equal(lengthDelimited(req.get(1)![0]!).get(1)![0]!.toString(), '127.0.0.1:5000/skiff/busybox:1.35');
  const a = lengthDelimited(req.get(2)![0]!);
  assert.equal(a.get(1)![0]!.toString(), 'skiff');
  assert.equal(a.get(2)![0]!.toString(), 's3cret');
  assert.equal(a.get(3)![0]!.toString(), 'c2tpZmY6czNjcmV0');
  assert.equal(a.has(4), false, 'server_address left empty, as the kubelet sends it');
});

test('no credentials means no AuthConfig at all (an anonymous pull)', () => {
  assert.equal(authToWire(undefined), null);
  assert.equal(authToWire({ serverAddress: 'r:1' }), null);
  const pull = serviceDefinition('ImageService').PullImage!;
  const req = lengthDelimited(pull.requestSerialize({ image: { image: 'x/y:1' }, auth: null, sandboxConfig: null }));
  assert.equal(req.has(2), false);
});
