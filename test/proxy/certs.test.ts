import 'reflect-metadata';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import net from 'node:net';
import { before, describe, test } from 'node:test';
import tls from 'node:tls';
import * as x509 from '@peculiar/x509';
import { Ca, generateCa, loadOrCreateCa, type CaMaterial, type CaStore } from '../../src/proxy/ca.js';
import { LeafCertFactory, normalizeServerName } from '../../src/proxy/leaf-certs.js';
import { isStandinError } from '../../src/core/errors.js';
import { makeTestPki } from '../helpers/tls.js';
import { startEchoUpstream } from '../helpers/upstream.js';

interface HandshakeResult {
  authorized: boolean;
  error: string | undefined;
  peer: tls.PeerCertificate;
  reused: boolean;
  session: Buffer | undefined;
}

/** Connects, waits for the server's byte (so TLS 1.3 tickets arrive), and reports the handshake. */
function handshake(port: number, opts: tls.ConnectionOptions): Promise<HandshakeResult> {
  return new Promise((resolve, reject) => {
    let session: Buffer | undefined;
    const s = tls.connect({ host: '127.0.0.1', port, ...opts });
    s.on('session', (b: Buffer) => (session = b));
    s.once('error', reject);
    s.once('data', () => {
      const r = { authorized: s.authorized, error: s.authorizationError?.toString(), peer: s.getPeerCertificate(), reused: s.isSessionReused() };
      // The ticket may follow the first application byte; give it a tick before closing.
      setImmediate(() => {
        s.end();
        resolve({ ...r, session });
      });
    });
  });
}

/**
 * A TLS server shaped like the proxy's interception: one TLSSocket per accepted connection whose
 * initial context is the factory's base context, or the leaf for `authority` (as after CONNECT).
 */
async function startInterceptor(factory: LeafCertFactory, authority?: string): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer((raw) => {
    const s = new tls.TLSSocket(raw, {
      isServer: true,
      SNICallback: factory.SNICallback,
      secureContext: authority ? factory.secureContextFor(authority) : factory.baseContext,
    });
    s.on('secure', () => s.write('x'));
    s.on('error', () => s.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

class MemoryStore implements CaStore {
  material: CaMaterial | null = null;
  saves = 0;
  async load() {
    return this.material;
  }
  async save(m: CaMaterial) {
    this.material = m;
    this.saves++;
  }
}

let ca: Ca;
before(async () => {
  ca = await Ca.load(await generateCa());
});

describe('interception CA', () => {
  test('is a self-signed ECDSA P-256 CA with pathLen 0, cert-signing usage and ~10 years validity', async () => {
    const node = new X509Certificate(ca.certPem);
    assert.equal(node.ca, true);
    assert.equal(node.checkIssued(node), true);
    assert.equal(node.verify(node.publicKey), true);
    assert.equal(node.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.match(node.subject, /^CN=standin local CA [0-9a-f]{8}\nO=standin$/);
    const years = (Date.parse(node.validTo) - Date.parse(node.validFrom)) / (365 * 86_400_000);
    assert.ok(years > 9.9 && years < 10.1, `validity ${years} years`);

    const bc = ca.cert.getExtension(x509.BasicConstraintsExtension);
    assert.equal(bc?.ca, true);
    assert.equal(bc?.pathLength, 0);
    assert.equal(bc?.critical, true);
    const ku = ca.cert.getExtension(x509.KeyUsagesExtension);
    assert.equal(ku?.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    assert.equal(ca.cert.getExtension('2.5.29.30'), null, 'no nameConstraints: arbitrary hosts must work');
  });

  test('loadOrCreateCa creates and saves once, then returns the same CA from the store', async () => {
    const store = new MemoryStore();
    const first = await loadOrCreateCa(store);
    const second = await loadOrCreateCa(store);
    assert.equal(store.saves, 1);
    assert.equal(second.certPem, first.certPem);
    assert.match(store.material?.keyPem ?? '', /^-----BEGIN PRIVATE KEY-----/);
  });

  test('loadOrCreateCa replaces a stored CA that has expired', async () => {
    const store = new MemoryStore();
    const first = await loadOrCreateCa(store);
    const later = await loadOrCreateCa(store, new Date(Date.now() + 11 * 365 * 86_400_000));
    assert.notEqual(later.certPem, first.certPem);
    assert.equal(store.saves, 2);
  });

  test('a key that does not belong to the certificate is refused', async () => {
    const other = await generateCa();
    await assert.rejects(Ca.load({ certPem: ca.certPem, keyPem: other.keyPem }), (e) => isStandinError(e) && e.code === 'crypto_failed');
  });

  test('neither inspecting nor serializing a Ca shows its private key', async () => {
    const material = await generateCa();
    const loaded = await Ca.load(material);
    const keyBody = material.keyPem.split('\n')[1] ?? '';
    const { inspect } = await import('node:util');
    assert.ok(!inspect(loaded, { depth: 5, showHidden: true }).includes(keyBody));
    assert.ok(!JSON.stringify(loaded).includes('PRIVATE KEY'));
  });
});

describe('leaf certificates', () => {
  test('a leaf for api.example.test passes a real handshake verified against the CA', async () => {
    const factory = new LeafCertFactory(ca);
    const srv = await startInterceptor(factory);
    try {
      const r = await handshake(srv.port, { ca: ca.certPem, servername: 'api.example.test' });
      assert.equal(r.authorized, true, r.error);
      assert.equal(r.peer.subjectaltname, 'DNS:api.example.test');
      const leaf = new X509Certificate(r.peer.raw);
      assert.equal(leaf.ca, false);
      assert.deepEqual(leaf.keyUsage, ['1.3.6.1.5.5.7.3.1']); // node reports EKU here: serverAuth
      const hours = (Date.parse(leaf.validTo) - Date.now()) / 3_600_000;
      assert.ok(hours > 7 * 24 - 1 && hours <= 7 * 24, `expires in ${hours} h`);

      const untrusted = await generateCa();
      await assert.rejects(handshake(srv.port, { ca: untrusted.certPem, servername: 'api.example.test' }), /self-signed|unable to (get|verify)/i);
    } finally {
      await srv.close();
    }
  });

  test('an IP literal gets an iPAddress SAN that verifies for 127.0.0.1', async () => {
    const factory = new LeafCertFactory(ca);
    // No SNI for IP literals (RFC 6066 §3): the proxy picks the context from the CONNECT authority.
    const srv = await startInterceptor(factory, '127.0.0.1');
    try {
      const r = await handshake(srv.port, { ca: ca.certPem });
      assert.equal(r.authorized, true, r.error);
      assert.equal(r.peer.subjectaltname, 'IP Address:127.0.0.1');
    } finally {
      await srv.close();
    }
    const v6 = new X509Certificate(ca.issueLeaf({ host: '::1', publicKeySpki: spkiOf(ca), notBefore: new Date(), notAfter: new Date(Date.now() + 1e6) }));
    assert.equal(v6.checkIP('::1'), '::1');
  });

  test('a long name gets an empty subject and a critical SAN that still verifies', () => {
    const host = `${'a'.repeat(63)}.${'b'.repeat(63)}.example.test`;
    const leaf = new x509.X509Certificate(ca.issueLeaf({ host, publicKeySpki: spkiOf(ca), notBefore: new Date(), notAfter: new Date(Date.now() + 1e6) }));
    assert.equal(leaf.subject, '');
    assert.equal(leaf.getExtension(x509.SubjectAlternativeNameExtension)?.critical, true);
    assert.equal(new X509Certificate(leaf.toString('pem')).checkHost(host), host);
  });

  test('names are normalized: case, trailing dot, brackets; the cache returns the same context', () => {
    const factory = new LeafCertFactory(ca);
    const a = factory.secureContextFor('API.Example.Test.');
    const b = factory.secureContextFor('api.example.test');
    assert.equal(a, b);
    assert.deepEqual(factory.stats, { issued: 1, hits: 1, evicted: 0 });
    assert.equal(normalizeServerName('[::1]'), '::1');
    assert.equal(normalizeServerName('bücher.example'), 'xn--bcher-kva.example');
  });

  test('names no certificate should carry are refused with bad_request', () => {
    const factory = new LeafCertFactory(ca);
    const bad = ['', '.', 'a..b', '*.example.com', 'a b.test', '-a.test', 'x'.repeat(254), `${'a'.repeat(64)}.test`, '[foo.test]', 'fe80::1%eth0', 'a\u0000.test'];
    for (const name of bad) {
      assert.throws(() => factory.secureContextFor(name), (e) => isStandinError(e) && e.code === 'bad_request', JSON.stringify(name));
    }
    assert.equal(factory.size, 0);
  });

  test('the LRU evicts the least recently used name past its bound', () => {
    const factory = new LeafCertFactory(ca, { maxEntries: 3 });
    for (const n of ['a.test', 'b.test', 'c.test']) factory.secureContextFor(n);
    factory.secureContextFor('a.test'); // a becomes most recent; b is now the oldest
    factory.secureContextFor('d.test');
    assert.equal(factory.size, 3);
    assert.equal(factory.peek('b.test'), undefined);
    assert.ok(factory.peek('a.test') && factory.peek('c.test') && factory.peek('d.test'));
    assert.equal(factory.stats.evicted, 1);
  });

  test('a leaf close to expiry is re-issued on its next use', () => {
    let now = Date.now();
    const factory = new LeafCertFactory(ca, { now: () => now });
    const first = factory.secureContextFor('a.test');
    now += 5 * 86_400_000;
    assert.equal(factory.secureContextFor('a.test'), first);
    now += 1.5 * 86_400_000; // within a day of the 7-day expiry
    assert.notEqual(factory.secureContextFor('a.test'), first);
    assert.equal(factory.stats.issued, 2);
  });

  test('20 concurrent handshakes for one name issue one leaf', async () => {
    const factory = new LeafCertFactory(ca);
    const srv = await startInterceptor(factory);
    try {
      const results = await Promise.all(Array.from({ length: 20 }, () => handshake(srv.port, { ca: ca.certPem, servername: 'same.example.test' })));
      assert.ok(results.every((r) => r.authorized));
      assert.equal(factory.stats.issued, 1);
      assert.equal(factory.stats.hits, 19);
    } finally {
      await srv.close();
    }
  });

  test('TLS session tickets resume through the base context, and after a context was re-created', async () => {
    for (const maxVersion of ['TLSv1.3', 'TLSv1.2'] as const) {
      const opts = { ca: ca.certPem, servername: 'resume.example.test', maxVersion };
      // SNI picks the leaf; the base context seals the ticket.
      const factory = new LeafCertFactory(ca, { maxEntries: 1 });
      const viaSni = await startInterceptor(factory);
      // The leaf for the CONNECT authority is the initial context; evicting it between connections
      // re-creates it, and only the shared ticket keys let the old ticket open.
      const viaAuthority = await startInterceptor(factory, 'resume.example.test');
      try {
        const first = await handshake(viaSni.port, opts);
        assert.ok(first.session, `${maxVersion}: a ticket was issued`);
        assert.equal((await handshake(viaSni.port, { ...opts, session: first.session })).reused, true, `${maxVersion}: resumed via SNI`);

        const direct = await handshake(viaAuthority.port, opts);
        factory.secureContextFor('other.example.test'); // evicts resume.example.test (bound 1)
        assert.equal(factory.peek('resume.example.test'), undefined);
        const resumed = await handshake(viaAuthority.port, { ...opts, session: direct.session });
        assert.equal(resumed.reused, true, `${maxVersion}: resumed with a re-created context`);
        assert.equal(resumed.authorized, true);
      } finally {
        await viaSni.close();
        await viaAuthority.close();
      }
    }
  });

  test('timing: issuance and cache hits', (t) => {
    const factory = new LeafCertFactory(ca, { maxEntries: 10_000 });
    for (let i = 0; i < 100; i++) factory.secureContextFor(`warm${i}.example.test`);
    const n = 500;
    let start = performance.now();
    for (let i = 0; i < n; i++) factory.secureContextFor(`h${i}.example.test`);
    const issueMs = (performance.now() - start) / n;
    const m = 100_000;
    start = performance.now();
    for (let i = 0; i < m; i++) factory.secureContextFor(`h${i % n}.example.test`);
    const hitUs = ((performance.now() - start) / m) * 1000;
    t.diagnostic(`leaf issuance incl. SecureContext: ${issueMs.toFixed(3)} ms; cache hit: ${hitUs.toFixed(2)} µs`);
    // Generous bounds: this guards against regressions by an order of magnitude, not noise.
    assert.ok(issueMs < 20, `issuance ${issueMs} ms`);
    assert.ok(hitUs < 50, `cache hit ${hitUs} µs`);
  });
});

describe('test helpers', () => {
  let pki: Awaited<ReturnType<typeof makeTestPki>>;
  before(async () => {
    pki = await makeTestPki(['api.openai.com', 'api.openai.com.evil.test', 'example.test']);
  });

  const get = (url: string, ca: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      https
        .get(url, { ca, headers, agent: false }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        })
        .on('error', reject);
    });

  test('the PKI is memoized per name set and writes its CA to a file', async () => {
    assert.equal(await makeTestPki(['example.test', 'api.openai.com', 'api.openai.com.evil.test']), pki);
    const { readFileSync } = await import('node:fs');
    assert.equal(readFileSync(pki.caFile, 'utf8'), pki.caPem);
    const leaf = new X509Certificate(pki.server.cert);
    for (const host of ['localhost', 'api.openai.com', 'api.openai.com.evil.test', 'example.test']) assert.equal(leaf.checkHost(host), host);
    assert.equal(leaf.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(leaf.checkIP('::1'), '::1');
  });

  test('an HTTPS echo upstream with the test PKI verifies, and records what it received', async () => {
    const up = await startEchoUpstream({ tls: pki.server });
    try {
      const r = await get(`${up.url}/v1/models?x=1`, pki.caPem, { authorization: 'Bearer real' });
      assert.equal(r.status, 200);
      const echo = JSON.parse(r.body) as { method: string; path: string; headers: Record<string, string> };
      assert.equal(echo.path, '/v1/models?x=1');
      assert.equal(echo.headers.authorization, 'Bearer real');
      assert.equal(up.requests.length, 1);
      assert.equal(up.requests[0]?.headers.authorization, 'Bearer real');
    } finally {
      await up.close();
    }
  });

  test('the expired and untrusted certificates fail verification', async () => {
    for (const [cert, code] of [
      [pki.expired, 'CERT_HAS_EXPIRED'],
      [pki.untrusted, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    ] as const) {
      const up = await startEchoUpstream({ tls: cert });
      try {
        await assert.rejects(get(`${up.url}/`, pki.caPem), (e: NodeJS.ErrnoException) => e.code === code);
      } finally {
        await up.close();
      }
    }
  });

  test('echoKeyBack, /sse, /redirect and /ws behave as documented', async () => {
    const up = await startEchoUpstream({ tls: pki.server, echoKeyBack: true, redirectTo: 'https://elsewhere.test/' });
    try {
      const key = await get(`${up.url}/`, pki.caPem, { authorization: 'Bearer sk-real-value' });
      assert.equal(key.headers['x-echo-authorization'], 'Bearer sk-real-value');
      assert.equal((JSON.parse(key.body) as { authorization: string }).authorization, 'Bearer sk-real-value');

      const redirect = await get(`${up.url}/redirect`, pki.caPem);
      assert.equal(redirect.status, 302);
      assert.equal(redirect.headers.location, 'https://elsewhere.test/');

      const started = performance.now();
      const sse = await get(`${up.url}/sse`, pki.caPem);
      assert.equal(sse.body.match(/^data: event \d$/gm)?.length, 3);
      assert.ok(performance.now() - started >= 250);

      assert.equal(await wsEcho(up.port, pki.caPem, 'hello ws'), 'hello ws');
      assert.equal(up.requests.at(-1)?.url, '/ws');
    } finally {
      await up.close();
    }
  });
});

/** A minimal RFC 6455 client: handshake, one masked text frame, read the echoed frame. */
function wsEcho(port: number, ca: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      s.write('GET /ws HTTP/1.1\r\nhost: localhost\r\nupgrade: websocket\r\nconnection: Upgrade\r\n' + 'sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n');
    });
    let buf = Buffer.alloc(0);
    let upgraded = false;
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString();
        // The accept value for this key is the worked example of RFC 6455 §1.3.
        if (!/^HTTP\/1.1 101/.test(head) || !head.includes('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=')) return reject(new Error(head));
        upgraded = true;
        buf = buf.subarray(end + 4);
        const payload = Buffer.from(text);
        const mask = Buffer.from([1, 2, 3, 4]);
        s.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))]));
      }
      const len = (buf[1] ?? 0) & 0x7f;
      if (buf.length >= 2 + len && buf.length >= 2) {
        resolve(buf.subarray(2, 2 + len).toString());
        s.destroy();
      }
    });
    s.on('error', reject);
  });
}

/** Any valid P-256 SPKI will do for leaves inspected offline; the CA's own is at hand. */
function spkiOf(c: Ca): Buffer {
  return Buffer.from(c.cert.publicKey.rawData);
}
