import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinRegistry } from '../../src/api/builtin.js';

test('a def looked up before its resource was re-served still finds the storage; a removed one does not', () => {
  const reg = builtinRegistry();
  const old = reg.lookup('', 'v1', 'configmaps')!;
  const before = reg.storage(old);
  // Re-served as a CRD update does it: the def object is replaced.
  reg.remove('', 'v1', 'configmaps');
  const replacement = { ...old };
  reg.add(replacement, { prefix: '/registry/configmaps/' });
  assert.notEqual(reg.lookup('', 'v1', 'configmaps'), old);
  assert.equal(reg.storage(old).prefix, before.prefix);
  assert.equal(reg.storage(old), reg.storage(replacement));
  reg.remove('', 'v1', 'configmaps');
  assert.throws(() => reg.storage(old), /resource configmaps\. has no storage binding/);
});
