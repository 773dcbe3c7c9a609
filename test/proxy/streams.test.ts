/**
 * The proxy's streaming pieces in isolation, exhaustively over chunk boundaries: response
 * redaction, body placeholder swapping, and the event writer's backpressure.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { describe, test } from 'node:test';
import pino from 'pino';
import { Redactor, valuePairs } from '../../src/proxy/redact.js';
import { BodySwapper } from '../../src/proxy/body.js';
import { EventWriter, type EgressRecord } from '../../src/proxy/events.js';
import { placeholderFromBody } from '../../src/core/placeholder.js';
import { SwapDenied } from '../../src/proxy/swap.js';
import { startEchoUpstream } from '../helpers/upstream.js';

const VALUE = 'CANARY-proxy-0123456789abcdef';
const PH = placeholderFromBody('A'.repeat(40));

function redactAll(chunks: string[], pairs = valuePairs(VALUE, PH)): { out: string; emitted: string[] } {
  const r = new Redactor(pairs);
  const emitted = chunks.map((c) => r.push(Buffer.from(c, 'utf8')).toString('latin1'));
  emitted.push(r.end().toString('latin1'));
  return { out: emitted.join(''), emitted };
}

describe('response redaction', () => {
  test('a value split across two chunks at every position is replaced', () => {
    const text = `{"echo":"Bearer ${VALUE}","again":"${VALUE}"}`;
    for (let i = 1; i < text.length; i++) {
      const { out } = redactAll([text.slice(0, i), text.slice(i)]);
      assert.equal(out, text.split(VALUE).join(PH), `split at ${i}`);
    }
  });

  test('a value arriving one byte per chunk is replaced', () => {
    const text = `x${VALUE}y`;
    assert.equal(redactAll([...text]).out, `x${PH}y`);
  });

  test('JSON-escaped and percent-encoded forms are replaced too', () => {
    const v = 'sk"with\\quote&amp=1';
    const pairs = valuePairs(v, PH);
    const text = `${JSON.stringify({ v })} ${encodeURIComponent(v)} ${v}`;
    const out = redactAll([text.slice(0, 9), text.slice(9)], pairs).out;
    assert.ok(!out.includes(v) && !out.includes(encodeURIComponent(v)) && !out.includes(JSON.stringify(v).slice(1, -1)), out);
  });

  test('an SSE event ending in a newline is emitted at once, nothing held back', () => {
    const { emitted } = redactAll(['data: one\n\n', `data: ${VALUE}\n\n`]);
    assert.equal(emitted[0], 'data: one\n\n');
    assert.equal(emitted[1], `data: ${PH}\n\n`);
    assert.equal(emitted[2], '');
  });

  test('a tail that could start a value is held, then released when it does not', () => {
    const { emitted } = redactAll(['abc CANARY-pro', 'vince']);
    assert.equal(emitted[0], 'abc ');
    assert.equal(emitted[1], 'CANARY-province');
  });

  test('multi-byte characters split across chunks survive untouched', () => {
    const text = `héllo wörld ${VALUE} ✓`;
    const bytes = Buffer.from(text, 'utf8');
    for (let i = 1; i < bytes.length; i++) {
      const r = new Redactor(valuePairs(VALUE, PH));
      const out = Buffer.concat([r.push(bytes.subarray(0, i)), r.push(bytes.subarray(i)), r.end()]).toString('utf8');
      assert.equal(out, text.replace(VALUE, PH));
    }
  });
});

describe('body placeholders', () => {
  const swapAll = async (chunks: string[], kind: 'json' | 'form', decide = async (t: string) => (t === PH ? { value: VALUE } : undefined)) => {
    const s = new BodySwapper(kind, decide);
    const parts: Buffer[] = [];
    for (const c of chunks) parts.push(await s.push(Buffer.from(c)));
    parts.push(await s.end());
    return Buffer.concat(parts).toString();
  };

  test('a placeholder split at every position of a JSON body is swapped', async () => {
    const body = JSON.stringify({ model: 'x', api_key: PH, messages: [] });
    for (let i = 1; i < body.length; i++) {
      assert.equal(await swapAll([body.slice(0, i), body.slice(i)], 'json'), body.replace(PH, VALUE), `split at ${i}`);
    }
  });

  test('a percent-encoded placeholder in a form body is swapped when split', async () => {
    const esc = [...PH].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('');
    const body = `a=1&key=${esc}&b=2`;
    for (const i of [5, 10, 40, 100, body.length - 3]) {
      assert.equal(await swapAll([body.slice(0, i), body.slice(i)], 'form'), `a=1&key=${encodeURIComponent(VALUE)}&b=2`);
    }
  });

  test('a refused placeholder in a body aborts the stream before it is emitted', async () => {
    const denial = new SwapDenied({ allow: false, code: 'placeholder_blocked', check: 'host_not_allowed', reason: 'no' }, PH, null);
    const s = new BodySwapper('json', async () => {
      throw denial;
    });
    const head = await s.push(Buffer.from('{"padding":"' + 'x'.repeat(200) + '","k":"'));
    assert.ok(!head.toString().includes('stn_ph_'));
    await assert.rejects(s.push(Buffer.from(`${PH}"}`)), SwapDenied);
  });
});

describe('event writer', () => {
  const event = (i: number): EgressRecord => ({
    id: `e${i}`, tenantId: 't', sandboxId: 's', at: new Date().toISOString(), method: 'GET', scheme: 'https', host: 'h', port: 443,
    path: '/', status: 200, bytesIn: 0, bytesOut: 0, durationMs: 1, decision: 'allowed', reason: null, secrets: [], secretIds: [],
  });
  const sandbox = { id: 's', tenantId: 't', workspaceId: null, externalWorkspace: null, externalUser: null } as never;
  const silent = pino({ level: 'silent' });

  test('a full queue makes new requests wait instead of dropping events, and a failed write is retried', async () => {
    const written: string[] = [];
    let release: () => void = () => {};
    let gate = new Promise<void>((r) => (release = r));
    let failOnce = true;
    const store = {
      async transaction<T>(fn: (tx: any) => Promise<T>): Promise<T> {
        await gate;
        if (failOnce) {
          failOnce = false;
          throw new Error('database is locked');
        }
        return fn({
          egress: { insertBatch: async (evs: EgressRecord[]) => void written.push(...evs.map((e) => e.id)) },
          audit: { append: async () => ({}) },
          secrets: { touch: async () => {} },
        });
      },
    };
    const w = new EventWriter(store, silent, { flushMs: 5, batchSize: 10, maxQueue: 20 });
    const alive = setInterval(() => {}, 50); // the writer's timers are unref'd, as in a server
    for (let i = 0; i < 20; i++) w.record(event(i), [], sandbox, null);
    const wait = w.ready();
    assert.ok(wait, 'the 21st request must wait');
    let resumed = false;
    void wait.then(() => (resumed = true));
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(resumed, false, 'still waiting while the database is stuck');
    release();
    gate = Promise.resolve();
    await wait;
    assert.equal(resumed, true);
    await w.close();
    clearInterval(alive);
    assert.deepEqual(written.sort(), Array.from({ length: 20 }, (_, i) => `e${i}`).sort(), 'every event written exactly once');
  });
});

describe('event writer transactions', () => {
  const event = (i: number): EgressRecord => ({
    id: `e${i}`, tenantId: 't', sandboxId: 's', at: new Date().toISOString(), method: 'GET', scheme: 'https', host: 'h', port: 443,
    path: '/', status: 200, bytesIn: 0, bytesOut: 0, durationMs: 1, decision: 'allowed', reason: null, secrets: [], secretIds: ['sec'],
  });
  const sandbox = { id: 's', tenantId: 't', workspaceId: null, externalWorkspace: null, externalUser: null } as never;
  const use = { secretId: 'sec', binding: 'KEY', secret: 'key', version: 1 };

  test('a large batch is written in bounded transactions with the event loop running in between, usage coalesced once', async () => {
    const log: string[] = [];
    const usage: number[] = [];
    const store = {
      async transaction<T>(fn: (tx: any) => Promise<T>): Promise<T> {
        log.push('begin');
        return fn({
          egress: { insertBatch: async (evs: EgressRecord[]) => void log.push(`insert ${evs.length}`) },
          audit: { append: async (row: { details: { count: number } }) => void usage.push(row.details.count) },
          secrets: { touch: async () => {} },
        });
      },
    };
    const w = new EventWriter(store, pino({ level: 'silent' }), { flushMs: 60_000, batchSize: 1000, chunkSize: 100 });
    for (let i = 0; i < 250; i++) w.record(event(i), [use], sandbox, null);
    // Something that waits for its turn of the event loop, queued before the flush starts.
    setImmediate(() => log.push('io'));
    await w.flush();
    assert.deepEqual(log, ['begin', 'insert 100', 'io', 'begin', 'insert 100', 'begin', 'insert 50']);
    assert.deepEqual(usage, [250], 'one usage row for the 250 uses, written with the last chunk');
    assert.equal(w.pending, 0);
  });
});

describe('the echo upstream (test helper)', () => {
  test('an upload aborted mid-body is counted, not an unhandled rejection that ends the test process', async () => {
    const up = await startEchoUpstream();
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => void unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const socket = net.connect(up.port, '127.0.0.1');
      await once(socket, 'connect');
      // With Expect: 100-continue, Node's server answers 100 just before it calls the handler, so
      // once the client reads it, the handler is reading the body: then go away mid-upload.
      socket.write('POST /upload HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\nexpect: 100-continue\r\n\r\n');
      const [interim] = (await once(socket, 'data')) as [Buffer];
      assert.match(interim.toString(), /^HTTP\/1\.1 100 /);
      socket.write('0123456789');
      socket.destroy();
      for (let i = 0; i < 200 && up.aborted === 0; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(up.aborted, 1, 'the aborted upload was seen');
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(unhandled, []);
      assert.equal(up.requests.length, 0, 'an incomplete request is not recorded');
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await up.close();
    }
  });
});
