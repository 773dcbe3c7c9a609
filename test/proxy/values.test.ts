/**
 * How a value is written into each place a placeholder can sit (core/placeholder.ts): a value
 * with non-ASCII characters and with the characters that structure URLs, forms and JSON
 * (`& = + % " \`) must reach the upstream exactly, decoded the way that place is decoded:
 * header bytes as UTF-8, Basic credentials after base64, query and form fields after
 * percent-decoding, JSON bodies after JSON.parse. A value that is merely "inserted" would be
 * double-encoded (non-ASCII in escaped contexts) or would split the form it was put in.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { canary, startFixture, viaProxy, type Fixture, type Sandbox } from './fixture.js';
import type { EchoUpstream, RecordedRequest } from '../helpers/upstream.js';

let f: Fixture;
let up: EchoUpstream;
let sb: Sandbox;
// Non-ASCII (2-, 3- and 4-byte UTF-8), URL and form syntax, JSON syntax, a literal %XX.
const VALUE = `${canary()}-ü€😀 "q"\\ &a=b+c%20%`;
const USER = 'jürgen-€';
const PCT = (s: string) => [...s].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('');

before(async () => {
  f = await startFixture();
  up = await f.startUpstream();
  const hosts = [`api.openai.com:${up.port}`];
  await f.secret({ name: 'enc', value: VALUE, hosts, bodyPlaceholders: true });
  await f.secret({ name: 'enc-basic', type: 'basic', username: USER, value: VALUE, hosts });
  sb = await f.sandbox({ secrets: { ENC_KEY: 'enc', ENC_BASIC: 'enc-basic' } });
});

after(async () => {
  await f?.close();
});

const url = (path: string) => `https://api.openai.com:${up.port}${path}`;
const headerUtf8 = (r: RecordedRequest, name: string) => Buffer.from(String(r.headers[name]), 'latin1').toString('utf8');

async function send(path: string, init: Parameters<typeof viaProxy>[2] = {}): Promise<RecordedRequest> {
  const before = up.requests.length;
  const r = await viaProxy(sb, url(path), init);
  assert.equal(r.status, 200, r.body);
  assert.equal(up.requests.length, before + 1);
  return up.requests.at(-1)!;
}

describe('values reach the upstream exactly, whatever they contain', () => {
  test('a header gets the UTF-8 bytes of the value', async () => {
    const r = await send('/h', { headers: { authorization: `Bearer ${sb.env.ENC_KEY}` } });
    assert.equal(headerUtf8(r, 'authorization'), `Bearer ${VALUE}`);
  });

  test('a percent-escaped placeholder in a header gets the value percent-encoded once', async () => {
    const ph = sb.env.ENC_KEY!;
    const r = await send('/h', { headers: { 'x-token': `t=%73${ph.slice(1)}`, 'x-all': PCT(ph) } });
    assert.equal(decodeURIComponent(String(r.headers['x-token'])), `t=${VALUE}`);
    assert.equal(decodeURIComponent(String(r.headers['x-all'])), VALUE);
  });

  test('Basic credentials carry the value (and a stored user name) as UTF-8', async () => {
    const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
    const plain = await send('/b', { headers: { authorization: `Basic ${b64(`ü-user:${sb.env.ENC_KEY}`)}` } });
    assert.equal(Buffer.from(String(plain.headers.authorization).slice(6), 'base64').toString('utf8'), `ü-user:${VALUE}`);
    const withUser = await send('/b', { headers: { authorization: `Basic ${b64(`x:${sb.env.ENC_BASIC}`)}` } });
    assert.equal(Buffer.from(String(withUser.headers.authorization).slice(6), 'base64').toString('utf8'), `${USER}:${VALUE}`);
  });

  test('a query gets the value percent-encoded, plain or escaped placeholder alike', async () => {
    const r = await send(`/q?a=1&key=${sb.env.ENC_KEY}&esc=${PCT(sb.env.ENC_KEY!)}&z=2`);
    const q = new URL(r.url, 'https://x').searchParams;
    assert.deepEqual([q.get('a'), q.get('key'), q.get('esc'), q.get('z')], ['1', VALUE, VALUE, '2']);
    assert.deepEqual([...q.keys()], ['a', 'key', 'esc', 'z'], 'no field was split off by the value');
  });

  test('a form body gets the value percent-encoded, so its fields stay intact', async () => {
    const body = `a=1&key=${sb.env.ENC_KEY}&esc=%73${sb.env.ENC_KEY!.slice(1)}&z=2`;
    const r = await send('/form', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    const form = new URLSearchParams(r.body);
    assert.deepEqual([...form.keys()], ['a', 'key', 'esc', 'z'], r.body);
    assert.deepEqual([form.get('a'), form.get('key'), form.get('esc'), form.get('z')], ['1', VALUE, VALUE, '2']);
  });

  test('a JSON body gets the value JSON-escaped, so the document stays valid', async () => {
    const body = JSON.stringify({ key: sb.env.ENC_KEY, nested: { list: [sb.env.ENC_KEY] }, n: 1 });
    const r = await send('/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.deepEqual(JSON.parse(r.body), { key: VALUE, nested: { list: [VALUE] }, n: 1 });
  });
});
