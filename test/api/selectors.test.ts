import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SelectorParseError,
  escapeFieldValue,
  formatLabelSelector,
  labelSelectorFromSpec,
  labelSelectorToString,
  parseFieldSelector,
  parseLabelSelector,
} from '../../src/api/selectors.js';

function parseError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof SelectorParseError, `not a SelectorParseError: ${e}`);
    return e.message;
  }
  assert.fail('expected a parse error');
}

test('label selector: parsing and canonical string form', () => {
  const cases: Array<[string, string]> = [
    ['', ''],
    ['a=b', 'a=b'],
    ['a==b', 'a==b'],
    ['a!=b', 'a!=b'],
    ['a', 'a'],
    ['!a', '!a'],
    ['a=', 'a='],
    ['a>1', 'a>1'],
    ['a<10', 'a<10'],
    ['  tier  in  ( b , a )  ,  app = web ', 'app=web,tier in (a,b)'],
    ['x in (foo,,baz),y,z notin ()', 'x in (,baz,foo),y,z notin ()'],
    ['env notin (prod,prod,dev)', 'env notin (dev,prod)'],
    ['in in (in,notin)', 'in in (in,notin)'],
    ['example.com/app=web,\tb\n', 'b,example.com/app=web'],
  ];
  for (const [input, want] of cases) assert.equal(parseLabelSelector(input).toString(), want, input);

  const s = parseLabelSelector('z=1,a in (y,x),!m');
  assert.deepEqual(
    s.requirements.map((r) => [r.key, r.operator, [...r.values]]),
    [
      ['a', 'in', ['x', 'y']],
      ['m', '!', []],
      ['z', '=', ['1']],
    ],
  );
  assert.equal(parseLabelSelector('').empty, true);
  assert.equal(s.empty, false);
  assert.equal(parseLabelSelector('a=b,c in (d)').requiresExactMatch('c'), 'd');
  assert.equal(parseLabelSelector('a=b').requiresExactMatch('a'), 'b');
  assert.equal(parseLabelSelector('a!=b').requiresExactMatch('a'), undefined);
  assert.equal(parseLabelSelector('a in (b,c)').requiresExactMatch('a'), undefined);
});

test('label selector: matching', () => {
  const l = { app: 'web', tier: 'front', n: '5' };
  const yes = [
    '',
    'app',
    'app=web',
    'app==web',
    'app!=db',
    'tier in (front,back)',
    'tier notin (back)',
    '!missing',
    'missing notin (x)',
    'missing!=x',
    'n>4',
    'n<6',
    'app=web,tier=front',
  ];
  const no = [
    'missing',
    'app=db',
    'app!=web',
    'tier in (back)',
    'tier notin (front)',
    '!app',
    'missing=x',
    'missing in (x)',
    'n>5',
    'n<5',
    'app>1',
    'missing>1',
    'app=web,tier=back',
  ];
  for (const s of yes) assert.equal(parseLabelSelector(s).matches(l), true, s);
  for (const s of no) assert.equal(parseLabelSelector(s).matches(l), false, s);
  assert.equal(parseLabelSelector('').matches(undefined), true);
  assert.equal(parseLabelSelector('!a').matches(undefined), true);
  assert.equal(parseLabelSelector('a').matches(undefined), false);
  assert.equal(parseLabelSelector('a=').matches({ a: '' }), true);
  // Inherited properties are not labels.
  assert.equal(parseLabelSelector('toString').matches({}), false);
});

test('label selector: errors read like Kubernetes', () => {
  const cases: Array<[string, string | RegExp]> = [
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['=a', "found '=', expected: !, identifier, or 'end of string'"],
    [',a', "found ',', expected: !, identifier, or 'end of string'"],
    ['a,', "found '', expected: identifier after ','"],
    ['a=b,,c', "found ',', expected: identifier after ','"],
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
    ['!a=b', "found '=', expected: ',' or 'end of string'"],
    ['a in b', "unable to parse requirement: found 'b' expected: '('"],
    ['a in (', "unable to parse requirement: found '', expected: ',', ')' or identifier"],
    ['a in (b', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['a in (b c)', "unable to parse requirement: found 'c', expected: ',' or ')'"],
    ['a=(b)', "unable to parse requirement: found '(', expected: identifier"],
    ['a>x', "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer"],
    ['-a', /^unable to parse requirement: <nil>: Invalid value: "-a": name part must consist of alphanumeric characters/],
    ['a/b/c', /^unable to parse requirement: <nil>: Invalid value: "a\/b\/c": a qualified name must consist/],
    ['a=b$', /^unable to parse requirement: values\[0\]\[a\]: Invalid value: "b\$": a valid label must be an empty string/],
    [`a=${'x'.repeat(64)}`, /values\[0\]\[a\]: Invalid value: "x+": must be no more than 63 characters/],
    ['a in (x$,y$)', /^unable to parse requirement: \[values\[0\]\[a\]: Invalid value: "x\$": .*, values\[1\]\[a\]: Invalid value: "y\$": .*\]$/],
  ];
  for (const [input, want] of cases) {
    const msg = parseError(() => parseLabelSelector(input));
    if (typeof want === 'string') assert.equal(msg, want, input);
    else assert.match(msg, want, input);
  }
});

test('label selector from a spec, and its string round trip', () => {
  const spec = {
    matchLabels: { tier: 'x', app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['b', 'a'] },
      { key: 'env', operator: 'Exists' },
      { key: 'gone', operator: 'DoesNotExist' },
      { key: 'zone', operator: 'NotIn', values: ['z1'] },
    ],
  };
  const str = labelSelectorToString(spec);
  assert.equal(str, 'app=web,env,!gone,tier=x,tier in (a,b),zone notin (z1)');
  const sel = labelSelectorFromSpec(spec);
  const reparsed = parseLabelSelector(str);
  assert.equal(reparsed.toString(), str);
  const samples: Array<Record<string, string> | undefined> = [
    { app: 'web', env: '1', tier: 'x' },
    { app: 'web', env: '1', tier: 'a' },
    { app: 'web', tier: 'x' },
    undefined,
  ];
  for (const labels of samples) {
    assert.equal(reparsed.matches(labels), sel.matches(labels), JSON.stringify(labels));
  }
  assert.equal(labelSelectorToString({ matchLabels: { app: 'web' } }), 'app=web');

  // A missing selector selects nothing; an empty one selects everything.
  assert.equal(labelSelectorFromSpec(undefined).matches({ a: 'b' }), false);
  assert.equal(labelSelectorFromSpec(undefined).empty, false);
  assert.equal(labelSelectorFromSpec({}).matches({ a: 'b' }), true);
  assert.equal(labelSelectorFromSpec({}).empty, true);
  assert.equal(labelSelectorToString({}), '');
  assert.equal(formatLabelSelector({}), '<none>');
  assert.equal(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bad' }] }), '<error>');

  assert.equal(
    parseError(() => labelSelectorFromSpec({ matchExpressions: [{ key: 'a', operator: 'Foo' }] })),
    '"Foo" is not a valid label selector operator',
  );
  assert.equal(
    parseError(() => labelSelectorFromSpec({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] })),
    "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty",
  );
  assert.equal(
    parseError(() => labelSelectorFromSpec({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] })),
    'values: Invalid value: ["x"]: values set must be empty for exists and does not exist',
  );
  assert.match(
    parseError(() => labelSelectorFromSpec({ matchLabels: { 'bad key': 'v' } })),
    /^key: Invalid value: "bad key": /,
  );
});

test('field selector: parsing, escaping and matching', () => {
  const s = parseFieldSelector('status.phase!=Running,metadata.name==web-1');
  assert.deepEqual(s.requirements, [
    { field: 'metadata.name', operator: '=', value: 'web-1' },
    { field: 'status.phase', operator: '!=', value: 'Running' },
  ]);
  assert.equal(s.toString(), 'metadata.name=web-1,status.phase!=Running');
  assert.equal(s.requiresExactMatch('metadata.name'), 'web-1');
  assert.equal(s.requiresExactMatch('status.phase'), undefined);
  const fields: Record<string, string> = { 'metadata.name': 'web-1', 'status.phase': 'Pending' };
  assert.equal(
    s.matches((f) => fields[f]),
    true,
  );
  assert.equal(
    s.matches((f) => ({ ...fields, 'status.phase': 'Running' })[f]),
    false,
  );
  // An absent field reads as "".
  assert.equal(
    parseFieldSelector('spec.nodeName=').matches(() => undefined),
    true,
  );
  assert.equal(
    parseFieldSelector('spec.nodeName!=').matches(() => undefined),
    false,
  );

  assert.equal(parseFieldSelector('').empty, true);
  assert.equal(parseFieldSelector(',').empty, true);
  assert.equal(
    parseFieldSelector('').matches(() => undefined),
    true,
  );

  const esc = parseFieldSelector('x=a\\,b\\=c\\\\,y=1');
  assert.deepEqual(
    esc.requirements.map((r) => r.value),
    ['a,b=c\\', '1'],
  );
  assert.equal(esc.toString(), 'x=a\\,b\\=c\\\\,y=1');
  assert.equal(escapeFieldValue('a,b=c\\'), 'a\\,b\\=c\\\\');
  assert.equal(parseFieldSelector(`k=${escapeFieldValue('v,=\\')}`).requirements[0]!.value, 'v,=\\');
  // Fields are not checked here; the apiserver does that per resource.
  assert.equal(parseFieldSelector('no.such.field=x').requirements[0]!.field, 'no.such.field');

  assert.equal(
    parseError(() => parseFieldSelector('a=b,abc')),
    "invalid selector: 'a=b,abc'; can't understand 'abc'",
  );
  assert.equal(
    parseError(() => parseFieldSelector('a=b=c')),
    'invalid field selector: unescaped character in value: 61',
  );
  assert.equal(
    parseError(() => parseFieldSelector('a=\\q')),
    'invalid field selector: invalid escape sequence: \\q',
  );
  assert.equal(
    parseError(() => parseFieldSelector('a=b\\')),
    'invalid field selector: invalid escape sequence: \\',
  );
});
