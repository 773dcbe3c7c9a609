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

  test('the prefilter lets no value through: at the start, middle and end of a line, at every alignment, JSON-escaped', () => {
    const s = new Scrubber();
    const v = 'pw "quoted" \\ ü-€';
    s.register(v);
    const json = JSON.stringify(v).slice(1, -1);
    const pad = '{"level":30,"msg":"x","path":"/v1/abcdefghijklmnopqrstuvwxyz0123456789';
    for (const form of [v, json]) {
      for (let k = 0; k < 12; k++) {
        const head = pad.slice(0, k);
        assert.equal(s.scrub(`${form}${head}`), `[redacted]${head}`, `start, ${k}`);
        assert.equal(s.scrub(`${pad}${head}${form}${pad}`), `${pad}${head}[redacted]${pad}`, `middle, ${k}`);
        assert.equal(s.scrub(`${pad}${head}${form}`), `${pad}${head}[redacted]`, `end, ${k}`);
      }
    }
    assert.equal(s.scrub(JSON.stringify({ msg: 'upstream said', detail: `key ${v} rejected` })), '{"msg":"upstream said","detail":"key [redacted] rejected"}');
    assert.equal(s.scrub(`${pad}${pad}`), `${pad}${pad}`, 'a line without the value is returned as it is');
  });

  test('the prefilter agrees with a plain scan on random lines, short and long values, adjacent and overlapping', () => {
    const s = new Scrubber();
    const alphabet = 'abcdef"\\ü-_';
    let seed = 42;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    const word = (n: number) => Array.from({ length: n }, () => alphabet[rnd(alphabet.length)]).join('');
    const values = Array.from({ length: 40 }, (_, i) => word(6 + (i % 30)));
    for (const v of values) s.register(v);
    const registered = [...new Set(values.flatMap((v) => [v, JSON.stringify(v).slice(1, -1), encodeURIComponent(v), Buffer.from(v).toString('base64')]))]
      .filter((f) => f.length >= 6)
      .sort((a, b) => b.length - a.length);
    const reference = (text: string): string => {
      let out = '';
      let i = 0;
      while (i < text.length) {
        const hit = registered.find((f) => text.startsWith(f, i));
        if (hit) {
          out += '[redacted]';
          i += hit.length;
        } else out += text[i++];
      }
      return out;
    };
    for (let n = 0; n < 2000; n++) {
      const parts: string[] = [];
      for (let p = rnd(5); p >= 0; p--) parts.push(word(rnd(12)), rnd(2) ? values[rnd(values.length)]! : '');
      const line = parts.join('');
      assert.equal(s.scrub(line), reference(line), line);
    }
  });

  test('a value with an unpaired surrogate is registered without throwing', () => {
    const s = new Scrubber();
    const v = 'abcdef\ud800ghij';
    assert.doesNotThrow(() => s.register(v));
    assert.equal(s.scrub(`x ${v} y`), 'x [redacted] y');
  });
});

describe('the canonical line writer', () => {
  test('writes the line pino would write, with the scrubber applied to every field, and honours the level', async () => {
    const { Writable } = await import('node:stream');
    const { createLogger, lineWriter } = await import('../../src/log/logger.js');
    const canary = val('CANARY-linewriter');
    const s = new Scrubber();
    s.register(canary);
    const written: string[] = [];
    const sink = new Writable({ write: (c, _e, cb) => (written.push(String(c)), cb()) });
    const log = createLogger({ level: 'warn', scrubber: s, destination: sink });
    const line = lineWriter(log, s);
    const fields = { requestId: 'prx_1', method: 'GET', host: `${canary}.example`, path: `/v1/${encodeURIComponent(canary)}?q=1`, status: 200, secrets: ['A=a@v1'], ms: 1.5 };
    line('info', fields, 'proxy request'); // below the level: nothing
    assert.deepEqual(written, []);
    line('warn', fields, 'proxy request');
    log.warn(fields, 'proxy request');
    assert.equal(written.length, 2);
    for (const w of written) assert.ok(!w.includes(canary) && !w.includes(encodeURIComponent(canary)), w);
    const [fast, viaPino] = written.map((w) => JSON.parse(w) as Record<string, unknown>);
    assert.ok(written[0]!.endsWith('}\n'));
    assert.equal(fast!.host, '[redacted].example');
    assert.equal(fast!.path, '/v1/[redacted]?q=1');
    // Same fields and order as pino's own line, time aside.
    delete fast!.time;
    delete viaPino!.time;
    assert.deepEqual(Object.entries(fast!), Object.entries(viaPino!));
  });
});
