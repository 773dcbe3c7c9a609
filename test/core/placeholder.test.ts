import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PLACEHOLDER_LENGTH, PlaceholderStream, findPlaceholders, isPlaceholder, placeholderFromBody, replaceAll,
  scanHeaderValue, scanQuery, swapHeaderValue, swapQuery,
} from '../../src/core/placeholder.js';

const A = placeholderFromBody('A'.repeat(20) + 'b'.repeat(20));
const B = placeholderFromBody('0123456789abcdefghijABCDEFGHIJklmnopqrst');
const VALUE_A = 'sk-real-AAAA';
const VALUE_B = 'real/B&b=1';
const lookup = (t: string) => (t === A ? VALUE_A : t === B ? VALUE_B : undefined);
const pct = (s: string) => [...s].map((c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0')).join('');
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** Changes one character of the body or checksum to a different base62 character. */
function mutate(token: string, index: number): string {
  const c = token[index] === 'x' ? 'y' : 'x';
  return token.slice(0, index) + c + token.slice(index + 1);
}

describe('format', () => {
  test('a placeholder is stn_ph_ + 40 + 6 characters', () => {
    assert.equal(A.length, 53);
    assert.equal(PLACEHOLDER_LENGTH, 53);
    assert.match(A, /^stn_ph_[0-9A-Za-z]{46}$/);
    assert.ok(isPlaceholder(A));
  });
  test('a body that is not 40 base62 characters is refused', () => {
    assert.throws(() => placeholderFromBody('short'));
    assert.throws(() => placeholderFromBody('-'.repeat(40)));
  });
});

describe('findPlaceholders', () => {
  test('a placeholder alone is found with its position', () => assert.deepEqual(findPlaceholders(A), [{ token: A, start: 0, end: 53 }]));
  test('a placeholder behind a provider prefix is found', () => assert.deepEqual(findPlaceholders(`Bearer sk-${A}`), [{ token: A, start: 10, end: 63 }]));
  test('two placeholders in one string are both found', () => assert.deepEqual(findPlaceholders(`${A},${B}`).map((m) => m.token), [A, B]));
  test('a placeholder after a decoy prefix is still found', () => assert.deepEqual(findPlaceholders(`stn_ph_${A}`).map((m) => m.start), [7]));
  test('text without the prefix finds nothing', () => assert.deepEqual(findPlaceholders('Bearer sk-abc'), []));
  for (const i of [7, 20, 46, 47, 52]) {
    test(`a near-miss with character ${i} changed is rejected by the checksum`, () => assert.deepEqual(findPlaceholders(mutate(A, i)), []));
  }
  test('a truncated placeholder is rejected', () => assert.deepEqual(findPlaceholders(A.slice(0, -1)), []));
  test('a placeholder with a dropped character is rejected', () => assert.deepEqual(findPlaceholders(A.slice(0, 30) + A.slice(31) + 'x'), []));
  test('a random base62 look-alike is rejected', () => assert.deepEqual(findPlaceholders('stn_ph_' + 'Z'.repeat(46)), []));
});

describe('header values', () => {
  const cases: Array<[string, string, 'plain' | 'percent' | 'basic', string]> = [
    ['a bearer placeholder is found plainly', `Bearer ${A}`, 'plain', `Bearer ${VALUE_A}`],
    ['a placeholder with its first byte percent-encoded is found', `token=%73tn_ph_${A.slice(7)}`, 'percent', `token=${encodeURIComponent(VALUE_A)}`],
    ['a fully percent-encoded placeholder is found', `token=${pct(A)}`, 'percent', `token=${encodeURIComponent(VALUE_A)}`],
    ['a placeholder as Basic password is found and re-encoded', `Basic ${b64(`user:${A}`)}`, 'basic', `Basic ${b64(`user:${VALUE_A}`)}`],
    ['a placeholder as Basic user name is found', `basic ${b64(`${A}:`)}`, 'basic', `basic ${b64(`${VALUE_A}:`)}`],
  ];
  for (const [name, value, encoding, swapped] of cases) {
    test(name, () => {
      const found = scanHeaderValue(value);
      assert.deepEqual(found.map((f) => [f.token, f.encoding]), [[A, encoding]]);
      assert.equal(swapHeaderValue(value, lookup), swapped);
    });
  }
  test('positions of a percent-encoded placeholder point into the raw value', () => {
    const raw = `x=${pct(A)}`;
    const [m] = scanHeaderValue(raw);
    assert.equal(raw.slice(m?.start, m?.end), pct(A));
  });
  test('a Basic value with non-ASCII user name survives the swap byte for byte', () => {
    const v = `Basic ${b64(`jürgen:${A}`)}`;
    assert.equal(swapHeaderValue(v, lookup), `Basic ${b64(`jürgen:${VALUE_A}`)}`);
  });
  test('a header without placeholders is returned as the same string', () => {
    const v = 'text/html; q=0.9';
    assert.equal(swapHeaderValue(v, lookup), v);
    assert.deepEqual(scanHeaderValue(v), []);
  });
  test('unknown placeholders are left in place', () => {
    const other = placeholderFromBody('z'.repeat(40));
    assert.equal(swapHeaderValue(`Bearer ${other}`, lookup), `Bearer ${other}`);
  });
  test('a provider prefix is replaced together with the placeholder', () => {
    assert.equal(swapHeaderValue(`Bearer sk-${A}`, () => ({ value: VALUE_A, prefix: 'sk-' })), `Bearer ${VALUE_A}`);
  });
  test('a provider prefix that is absent leaves the text before the placeholder alone', () => {
    assert.equal(swapHeaderValue(`Bearer ${A}`, () => ({ value: VALUE_A, prefix: 'sk-' })), `Bearer ${VALUE_A}`);
  });
  test('a percent-encoded near-miss is rejected', () => assert.deepEqual(scanHeaderValue(pct(mutate(A, 30))), []));
});

describe('value encoding per place', () => {
  // One value with multi-byte UTF-8 and the characters that structure URLs, forms and headers.
  const V = 'ü€😀 &a=b+c%20%';
  const bytes = Buffer.from(V, 'utf8').toString('latin1');
  const look = (t: string) => (t === A ? V : undefined);
  test('a plain header placeholder gets the UTF-8 bytes of the value (a latin1 string)', () => {
    assert.equal(swapHeaderValue(`Bearer ${A}`, look), `Bearer ${bytes}`);
  });
  test('a percent-escaped header placeholder gets the value percent-encoded once', () => {
    const out = swapHeaderValue(`t=%73${A.slice(1)}`, look);
    assert.equal(out, `t=${encodeURIComponent(V)}`);
    assert.equal(decodeURIComponent(out), `t=${V}`);
  });
  test('Basic credentials carry the UTF-8 bytes of the value', () => {
    const out = swapHeaderValue(`Basic ${b64(`ü:${A}`)}`, look);
    assert.equal(Buffer.from(out.slice(6), 'base64').toString('utf8'), `ü:${V}`);
  });
  test('a username in the replacement sets the Basic user name when the placeholder is the password', () => {
    const out = swapHeaderValue(`Basic ${b64(`x:${A}`)}`, () => ({ value: V, username: 'jürgen' }));
    assert.equal(Buffer.from(out.slice(6), 'base64').toString('utf8'), `jürgen:${V}`);
    const asUser = swapHeaderValue(`Basic ${b64(`${A}:pw`)}`, () => ({ value: V, username: 'jürgen' }));
    assert.equal(Buffer.from(asUser.slice(6), 'base64').toString('utf8'), `${V}:pw`, 'a placeholder as user name is swapped, the name kept');
  });
  test('a query gets the percent-encoded UTF-8 of the value, plain or escaped placeholder', () => {
    const q = new URLSearchParams(swapQuery(`a=1&k=${A}&e=${pct(A)}`, look));
    assert.deepEqual([...q.entries()], [['a', '1'], ['k', V], ['e', V]]);
  });
});

describe('query strings', () => {
  test('a plain placeholder in a query is found and the value percent-encoded', () => {
    assert.deepEqual(scanQuery(`key=${B}&a=1`).map((m) => m.token), [B]);
    assert.equal(swapQuery(`key=${B}&a=1`, lookup), `key=${encodeURIComponent(VALUE_B)}&a=1`);
  });
  test('a percent-encoded placeholder in a query is found', () => {
    assert.equal(swapQuery(`a=1&key=${pct(B)}`, lookup), `a=1&key=${encodeURIComponent(VALUE_B)}`);
  });
  test('a query with a stray % and no placeholder is untouched', () => assert.equal(swapQuery('a=100%&b=%zz', lookup), 'a=100%&b=%zz'));
});

describe('replaceAll', () => {
  test('every known token is replaced and others kept', () => {
    const other = placeholderFromBody('q'.repeat(40));
    const map = new Map([[A, VALUE_A], [B, VALUE_B]]);
    assert.equal(replaceAll(`${A} ${other} ${B} ${A}`, map), `${VALUE_A} ${other} ${VALUE_B} ${VALUE_A}`);
  });
});

describe('streams', () => {
  const body = `{"key":"sk-${A}","other":"${B}","pad":"${'x'.repeat(300)}","again":"${A}"}`;
  const expected = `{"key":"${VALUE_A}","other":"${VALUE_B}","pad":"${'x'.repeat(300)}","again":"${VALUE_A}"}`;
  const run = (text: string, size: number, format: 'text' | 'json' | 'form' = 'text') => {
    const s = new PlaceholderStream((t) => (t === A ? { value: VALUE_A, prefix: 'sk-' } : lookup(t)), { format });
    let out = '';
    for (let i = 0; i < text.length; i += size) out += s.push(text.slice(i, i + size));
    return { out: out + s.end(), tokens: [...s.tokens].sort() };
  };
  for (const size of [1, 2, 7, 52, 53, 54, 100, 10_000]) {
    test(`placeholders split across ${size}-character chunks are found and swapped`, () => {
      const r = run(body, size);
      assert.equal(r.out, expected);
      assert.deepEqual(r.tokens, [A, B].sort());
    });
  }
  for (const size of [1, 3, 64]) {
    test(`percent-encoded placeholders split across ${size}-character chunks are found in a form body`, () => {
      const form = `a=1&key=${pct(B)}&pad=${'y'.repeat(200)}&k2=${B}`;
      const r = run(form, size, 'form');
      // Plain or escaped, the value is percent-encoded: VALUE_B's `&b=1` must not become a field.
      assert.equal(r.out, `a=1&key=${encodeURIComponent(VALUE_B)}&pad=${'y'.repeat(200)}&k2=${encodeURIComponent(VALUE_B)}`);
    });
  }
  test('a JSON body gets values JSON-escaped, as UTF-8 bytes', () => {
    const v = 'a"b\\c ü€\t';
    const s = new PlaceholderStream((t) => (t === A ? v : undefined), { format: 'json' });
    const out = s.push(`{"k":"${A}"}`) + s.end();
    assert.equal(Buffer.from(out, 'latin1').toString('utf8'), JSON.stringify({ k: v }));
  });
  test('a text body gets the UTF-8 bytes of a value', () => {
    const s = new PlaceholderStream((t) => (t === A ? 'ü€' : undefined));
    assert.equal(s.push(`x${A}y`) + s.end(), `x${Buffer.from('ü€').toString('latin1')}y`);
  });
  test('a body without placeholders streams through unchanged', () => {
    const text = 'z'.repeat(5000);
    assert.equal(run(text, 333).out, text);
  });
  test('text is released once it cannot be part of a placeholder', () => {
    const s = new PlaceholderStream(lookup);
    assert.equal(s.push('x'.repeat(1000)).length, 1000 - (53 + 32 - 1));
  });
});
