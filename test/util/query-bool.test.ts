import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBool, queryFlag } from '../../src/util/query-bool.js';
import { parseResourcePath } from '../../src/apiserver/request-info.js';

test('parseBool reads exactly strconv.ParseBool forms', () => {
  for (const v of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.equal(parseBool(v), true, v);
  for (const v of ['0', 'f', 'F', 'FALSE', 'false', 'False']) assert.equal(parseBool(v), false, v);
  for (const v of ['', 'yes', 'tRUE', 'on']) assert.equal(parseBool(v), undefined, v);
});

test('queryFlag: absent is false, other values true unless a casing of false', () => {
  const q = new URLSearchParams('a=True&b=0&c=fAlSe&d=yes');
  assert.deepEqual(
    ['a', 'b', 'c', 'd', 'e'].map((n) => queryFlag(q, n)),
    [true, false, false, true, false],
  );
});

test('?watch=True and ?watch=1 make a collection GET a watch; watch=False a list', () => {
  const verb = (qs: string) => parseResourcePath('GET', '/api/v1/namespaces/default/configmaps', new URLSearchParams(qs))?.verb;
  assert.equal(verb('watch=True'), 'watch');
  assert.equal(verb('watch=1'), 'watch');
  assert.equal(verb('watch=t'), 'watch');
  assert.equal(verb('watch=False'), 'list');
  assert.equal(verb(''), 'list');
});
