// The log scrubber, the last line of defence of invariant 1 (no log line carries a value). It
// must scrub every form a value takes, keep working with large and many values, and stay cheap
// enough to run on every log line.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { Scrubber } from '../../src/log/scrubber.js';

const val = (tag: string) => `sk-${tag}-${randomBytes(12).toString('hex')}`;

describe('log scrubber', () => {
  test('a registered value is replaced raw, JSON-escaped, URL-encoded and base64-encoded', () => {
    const s = new Scrubber();
    const v = 'p@ss "word"/with+specials&=?';
    s.register(v);
    const lines = [
      `raw ${v} end`,
      `json ${JSON.stringify({ v })}`,
      `url https://x.example/?k=${encodeURIComponent(v)}&z=1`,
      `b64 ${Buffer.from(v).toString('base64')}`,
    ];
    for (const line of lines) {
      const out = s.scrub(line);
      assert.ok(out.includes('[redacted]'), out);
      assert.equal(out.includes(v) || out.includes(encodeURIComponent(v)) || out.includes(Buffer.from(v).toString('base64')), false, out);
    }
    assert.equal(s.scrub('nothing to see'), 'nothing to see');
  });

  test('every occurrence is replaced, at the start, middle and end of a line', () => {
    const s = new Scrubber();
    const v = val('many');
    s.register(v);
    assert.equal(s.scrub(`${v}|${v}${v} and ${v}`), '[redacted]|[redacted][redacted] and [redacted]');
  });

  test('a value that contains another registered value is replaced whole', () => {
    const s = new Scrubber();
    const short = 'abcdefgh';
    const long = 'abcdefgh-and-more-secret-suffix';
    s.register(short);
    s.register(long);
    assert.equal(s.scrub(`x ${long} y ${short} z`), 'x [redacted] y [redacted] z');
  });

  test('values shorter than 6 characters are not registered', () => {
    const s = new Scrubber();
    s.register('abc12');
    assert.equal(s.size, 0);
    assert.equal(s.scrub('abc12 stays'), 'abc12 stays');
  });

  test('a 64 KiB value is scrubbed and does not break later scrubbing', () => {
    const s = new Scrubber();
    const big = `BIG-${randomBytes(8).toString('hex')}-${'q'.repeat(65_000)}`;
    const small = val('after-big');
    s.register(big);
    s.register(small);
    assert.equal(s.scrub(`a ${big} b`), 'a [redacted] b');
    assert.equal(s.scrub(`c ${small} d`), 'c [redacted] d');
    assert.equal(s.scrub(`e ${Buffer.from(big).toString('base64')} f`), 'e [redacted] f');
  });

  test('thousands of values stay scrubbed and registering them does not make logging slow', () => {
    const s = new Scrubber();
    const values = Array.from({ length: 3000 }, (_, i) => val(`bulk${i}`));
    const line = '{"level":30,"time":1700000000000,"service":"standin","requestId":"abc","method":"POST","path":"/v1/secrets","status":201,"ms":3,"msg":"api request"}';
    const t0 = performance.now();
    for (const v of values) {
      s.register(v);
      s.scrub(line); // one log line after each write, as the API does
    }
    const ms = performance.now() - t0;
    assert.ok(ms < 2000, `3,000 registrations interleaved with log lines took ${ms.toFixed(0)} ms`);
    for (const v of [values[0]!, values[1500]!, values[2999]!]) assert.equal(s.scrub(`leak ${v}!`), 'leak [redacted]!');
  });

  test('the oldest values are evicted past the bound, and re-registering keeps a value fresh', () => {
    const s = new Scrubber(8); // 8 forms: two values of 4 distinct forms each (raw, JSON, URL, base64)
    const a = 'aaaaaa "first" value';
    const b = 'bbbbbb "second" value';
    const c = 'cccccc "third" value';
    s.register(a);
    s.register(b);
    s.register(a); // a is now the most recent
    s.register(c); // evicts b
    assert.equal(s.size, 8);
    assert.equal(s.scrub(a), '[redacted]');
    assert.equal(s.scrub(c), '[redacted]');
    assert.equal(s.scrub(b), b);
  });

  test('a value with an unpaired surrogate is registered without throwing', () => {
    const s = new Scrubber();
    const v = 'abcdef\ud800ghij';
    assert.doesNotThrow(() => s.register(v));
    assert.equal(s.scrub(`x ${v} y`), 'x [redacted] y');
  });
});
