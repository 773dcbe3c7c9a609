/**
 * The pure parts of `standin run` (environment, nftables ruleset, subnet choice, formats) and the
 * socket parts that need no privileges (stub DNS, ClientHello parsing, the transparent listener
 * over loopback against a real proxy).
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { answerQuery, parseQuestion, startDnsStub } from '../../src/proxy/dns.js';
import { startTransparentListener, type TransparentEvent } from '../../src/proxy/transparent.js';
import { parseClientHello, parseHttpHead } from '../../src/proxy/sniff.js';
import { CA_BUNDLE_VARS, assembleEnv, rewriteProxyUrl, withNodePreload } from '../../src/sandbox/env.js';
import { candidateSubnets, ipToInt, namesFor, nftRuleset, subnetAt } from '../../src/sandbox/isolate/plan.js';
import { conntrackOriginalPort } from '../../src/sandbox/isolate/system.js';
import { exitCodeOf } from '../../src/sandbox/spawn.js';
import { ownerAlive, processStart } from '../../src/sandbox/state.js';
import { toSaved } from '../../src/sandbox/saved.js';
import { formatEnv } from '../../src/cli/env.js';
import { REAL, startFixture, type Fixture } from './fixture.js';

/** A DNS query for `name` of `type`. */
function query(name: string, type: number, id = 0x1234): Buffer {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(0x0100, 2); // RD
  h.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(1, 2);
  return Buffer.concat([h, ...labels, Buffer.from([0]), tail]);
}

/** The first flight of a real TLS client (Node's), captured on a loopback socket. */
async function captureClientHello(servername: string | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((s) => {
      let buf = Buffer.alloc(0);
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (parseClientHello(buf).status !== 'need_more') {
          s.destroy();
          server.close();
          resolve(buf);
        }
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      const c = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false });
      c.on('error', () => {});
    });
    server.on('error', reject);
  });
}

describe('environment', () => {
  test('proxy and CA variables win over the inherited shell; standin credentials and NO_PROXY are not inherited', () => {
    const env = assembleEnv({
      base: { PATH: '/bin', STANDIN_API_KEY: 'stn_live_x', NO_PROXY: '*', https_proxy: 'http://corp:3128', NODE_OPTIONS: '--max-old-space-size=100' },
      sandboxEnv: { API_TOKEN: 'stn_ph_abc', MODE: 'x' },
      proxyUrl: 'http://standin:stn_px_1@127.0.0.1:4781',
      sandboxId: 'sbx_1',
      trust: { bundleFile: '/t/ca-bundle.pem', caFile: '/t/ca.pem' },
      nodePreload: '/opt/standin dir/node-preload.cjs',
    });
    assert.equal(env.PATH, '/bin');
    assert.equal(env.STANDIN_API_KEY, undefined);
    assert.equal(env.NO_PROXY, '');
    assert.equal(env.no_proxy, '');
    assert.equal(env.https_proxy, 'http://standin:stn_px_1@127.0.0.1:4781');
    assert.equal(env.ALL_PROXY, env.https_proxy);
    for (const k of CA_BUNDLE_VARS) assert.equal(env[k], '/t/ca-bundle.pem', k);
    assert.equal(env.NODE_EXTRA_CA_CERTS, '/t/ca.pem');
    assert.equal(env.NODE_OPTIONS, '--max-old-space-size=100 --require "/opt/standin dir/node-preload.cjs"');
    assert.equal(env.API_TOKEN, 'stn_ph_abc');
    assert.equal(env.STANDIN_SANDBOX_ID, 'sbx_1');
  });

  test('the preload is appended once', () => {
    assert.equal(withNodePreload(withNodePreload(undefined, '/p.cjs'), '/p.cjs'), '--require /p.cjs');
  });

  test('the proxy URL keeps its credential when its host is rewritten', () => {
    assert.equal(rewriteProxyUrl('http://standin:stn_px_1@127.0.0.1:4781', 'host.docker.internal'), 'http://standin:stn_px_1@host.docker.internal:4781');
    assert.equal(rewriteProxyUrl('http://standin:stn_px_1@127.0.0.1:4781', '10.231.0.1', 5000), 'http://standin:stn_px_1@10.231.0.1:5000');
  });

  test('a kept sandbox never keeps injected values', () => {
    const s = toSaved('http://x', { id: 'sbx_1', env: { A: 'stn_ph_1', B: 'real' }, proxyUrl: 'p', caCertPem: 'c', bindings: [{ envName: 'A', mode: 'proxy' }, { envName: 'B', mode: 'env' }] });
    assert.deepEqual(s.env, { A: 'stn_ph_1' });
    assert.deepEqual(s.injectedOmitted, ['B']);
  });

  test('dotenv output is literal KEY=value (docker --env-file); shell output is quoted', () => {
    assert.equal(formatEnv({ B: "it's", A: 'x=y' }, 'dotenv'), "A=x=y\nB=it's\n");
    assert.equal(formatEnv({ B: "it's" }, 'shell'), "export B='it'\\''s'\n");
    assert.throws(() => formatEnv({ A: 'a\nb' }, 'dotenv'), /line breaks/);
  });

  test('exit codes: the code, or 128 + the signal number', () => {
    assert.equal(exitCodeOf(3, null), 3);
    assert.equal(exitCodeOf(null, 'SIGKILL'), 137);
    assert.equal(exitCodeOf(null, 'SIGTERM'), 143);
  });

  test('a run record names its owner by pid and start time, so a reused pid is not mistaken for it', () => {
    assert.equal(ownerAlive({ pid: process.pid, pidStart: processStart(process.pid) }), true);
    assert.equal(ownerAlive({ pid: process.pid, pidStart: '1' }), process.platform !== 'linux');
    assert.equal(ownerAlive({ pid: 2 ** 22 + 12345, pidStart: null }), false);
  });
});

describe('isolation plan', () => {
  test('names fit IFNAMSIZ and share the run id', () => {
    const n = namesFor('0a1b2c3d');
    assert.deepEqual(n, { runId: '0a1b2c3d', netns: 'standin_0a1b2c3d', table: 'standin_0a1b2c3d', hostVeth: 'stdnh0a1b2c3d', nsVeth: 'stdnn0a1b2c3d' });
    assert.ok(n.hostVeth.length <= 15);
    assert.throws(() => namesFor('x; rm -rf /'));
  });

  test('subnets avoid every prefix in use and stay in the pool', () => {
    const inUse = [{ base: ipToInt('10.231.0.0'), size: 2 ** 15 }]; // the lower half is taken
    const c = candidateSubnets('10.231.0.0/16', inUse, 64, () => 0);
    assert.equal(c.length, 64);
    for (const s of c) {
      const n = ipToInt(s.network);
      assert.ok(n >= ipToInt('10.231.128.0') && n < ipToInt('10.232.0.0'), s.network);
      assert.equal(ipToInt(s.hostAddr), n + 1);
    }
    assert.deepEqual(candidateSubnets('10.231.0.0/30', [{ base: ipToInt('10.231.0.2'), size: 1 }]), []);
  });

  test('the ruleset redirects TCP and DNS to the listeners and drops the rest, all keyed on the veth and its /30', () => {
    const rules = nftRuleset(namesFor('0a1b2c3d'), subnetAt(ipToInt('10.231.7.4')), { explicit: 4001, transparent: 4002, dnsUdp: 4003, dnsTcp: 4004 });
    assert.match(rules, /^table inet standin_0a1b2c3d \{/);
    assert.match(rules, /iifname "stdnh0a1b2c3d" ip saddr 10\.231\.7\.6 udp dport 53 dnat ip to 10\.231\.7\.5:4003/);
    assert.match(rules, /iifname "stdnh0a1b2c3d" ip saddr 10\.231\.7\.6 meta l4proto tcp dnat ip to 10\.231\.7\.5:4002/);
    assert.match(rules, /chain input \{[\s\S]*iifname "stdnh0a1b2c3d" drop/);
    assert.match(rules, /chain forward \{[\s\S]*iifname "stdnh0a1b2c3d" drop[\s\S]*oifname "stdnh0a1b2c3d" drop/);
  });

  test('the original port of a redirected connection is read from the conntrack table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'standin-ct-'));
    try {
      const file = join(dir, 'nf_conntrack');
      writeFileSync(file, [
        'ipv4     2 udp      17 29 src=10.231.7.6 dst=10.231.7.5 sport=5353 dport=53 src=10.231.7.5 dst=10.231.7.6 sport=4003 dport=5353 mark=0 zone=0 use=2',
        'ipv4     2 tcp      6 431999 ESTABLISHED src=10.231.7.6 dst=10.231.7.5 sport=40000 dport=8443 src=10.231.7.5 dst=10.231.7.6 sport=4002 dport=40000 [ASSURED] mark=0 zone=0 use=2',
        'ipv4     2 tcp      6 431999 ESTABLISHED src=10.231.7.6 dst=10.231.7.5 sport=40001 dport=443 src=10.231.7.5 dst=10.231.7.6 sport=4002 dport=40001 [ASSURED] mark=0 zone=0 use=2',
        '',
      ].join('\n'));
      assert.equal(await conntrackOriginalPort('10.231.7.6', 40000, 4002, file), 8443);
      assert.equal(await conntrackOriginalPort('10.231.7.6', 40001, 4002, file), 443);
      assert.equal(await conntrackOriginalPort('10.231.7.6', 40002, 4002, file), null);
      assert.equal(await conntrackOriginalPort('10.231.7.6', 40000, 4002, join(dir, 'missing')), null);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('stub DNS', () => {
  test('A and ANY get the fixed address, AAAA and others NODATA, malformed FORMERR, responses are never answered', () => {
    const a = answerQuery(query('api.openai.com', 1), '10.231.7.5')!;
    assert.equal(a.readUInt16BE(0), 0x1234);
    assert.equal(a.readUInt16BE(2) & 0x800f, 0x8000, 'a response, NOERROR');
    assert.equal(a.readUInt16BE(6), 1, 'one answer');
    assert.deepEqual([...a.subarray(a.length - 4)], [10, 231, 7, 5]);
    const aaaa = answerQuery(query('api.openai.com', 28), '10.231.7.5')!;
    assert.equal(aaaa.readUInt16BE(2) & 0xf, 0);
    assert.equal(aaaa.readUInt16BE(6), 0, 'no answer: NODATA');
    assert.equal(parseQuestion(aaaa)?.question.name, 'api.openai.com');
    assert.equal(answerQuery(Buffer.from([1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 63]), '10.0.0.1')!.readUInt16BE(2) & 0xf, 1);
    const response = query('x', 1);
    response.writeUInt16BE(0x8100, 2);
    assert.equal(answerQuery(response, '10.0.0.1'), null);
  });

  test('answers over UDP and TCP, only to allowed sources', async () => {
    const stub = await startDnsStub({ host: '127.0.0.1', answer: '10.231.7.5', allowSources: new Set(['127.0.0.1']) });
    try {
      const udp = dgram.createSocket('udp4');
      const reply = await new Promise<Buffer>((resolve) => {
        udp.once('message', resolve);
        udp.send(query('anything.example', 1), stub.udpPort, '127.0.0.1');
      });
      udp.close();
      assert.deepEqual([...reply.subarray(reply.length - 4)], [10, 231, 7, 5]);
      const tcpReply = await new Promise<Buffer>((resolve, reject) => {
        const s = net.connect(stub.tcpPort, '127.0.0.1', () => {
          const q = query('other.example', 1, 7);
          const framed = Buffer.alloc(2 + q.length);
          framed.writeUInt16BE(q.length, 0);
          q.copy(framed, 2);
          s.write(framed);
        });
        let buf = Buffer.alloc(0);
        s.on('data', (d: Buffer) => {
          buf = Buffer.concat([buf, d]);
          if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
            s.destroy();
            resolve(buf.subarray(2));
          }
        });
        s.on('error', reject);
      });
      assert.equal(tcpReply.readUInt16BE(0), 7);
      assert.deepEqual([...tcpReply.subarray(tcpReply.length - 4)], [10, 231, 7, 5]);
    } finally {
      await stub.close();
    }
  });
});

describe('transparent listener', () => {
  test('reads SNI from real ClientHellos and reports its absence', async () => {
    const hello = await captureClientHello('api.example.com');
    assert.deepEqual(parseClientHello(hello), { status: 'ok', sni: 'api.example.com' });
    assert.deepEqual(parseClientHello(hello.subarray(0, 20)), { status: 'need_more' });
    assert.deepEqual(parseClientHello(await captureClientHello(undefined)), { status: 'ok', sni: null });
    assert.deepEqual(parseClientHello(Buffer.from('GET / HTTP/1.1\r\n')), { status: 'invalid' });
  });

  test('reads Host from a plain request head; two Hosts are refused', () => {
    assert.deepEqual(parseHttpHead(Buffer.from('GET /x HTTP/1.1\r\nHost: a.test:8080\r\n\r\n')), { status: 'ok', host: 'a.test:8080' });
    assert.deepEqual(parseHttpHead(Buffer.from('GET /x HTTP/1.1\r\nHost: a.test')), { status: 'need_more' });
    assert.equal(parseHttpHead(Buffer.from('GET /x HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n')).status, 'invalid');
    assert.equal(parseHttpHead(Buffer.from('\x00\x01\x02 junk\r\n\r\n')).status, 'invalid');
  });

  describe('over loopback, against a real proxy', () => {
    let f: Fixture;
    let sandbox: { id: string; proxyUrl: string; env: Record<string, string> };
    const events: TransparentEvent[] = [];
    let listener: Awaited<ReturnType<typeof startTransparentListener>>;
    const routes = new Map<string, { sandboxId: string; proxyUrl: string }>();
    before(async () => {
      f = await startFixture();
      sandbox = (await f.server.api('POST', '/v1/sandboxes', { secrets: { API_TOKEN: 'api-token' }, ephemeral: true })).body;
      routes.set('127.0.0.1', { sandboxId: sandbox.id, proxyUrl: sandbox.proxyUrl });
      listener = await startTransparentListener({ host: '127.0.0.1', routes, originalPort: async () => f.upstreamPort, onEvent: (e) => events.push(e) });
    });
    after(async () => {
      await listener?.close();
      await f?.close();
    });

    /** A TLS request to api.test through the listener, as a redirected client would make it. */
    const viaListener = (servername: string | undefined, path: string): Promise<string> =>
      new Promise((resolve) => {
        const s = tls.connect({ host: '127.0.0.1', port: listener.port, servername, rejectUnauthorized: false }, () => {
          s.write(`GET ${path} HTTP/1.1\r\nHost: api.test:${f.upstreamPort}\r\nAuthorization: Bearer ${sandbox.env.API_TOKEN}\r\nConnection: close\r\n\r\n`);
        });
        let out = '';
        s.on('data', (d) => (out += d));
        s.on('error', (e) => resolve(`error: ${e.message}`));
        s.on('close', () => resolve(out));
      });

    test('a TLS connection with SNI runs through the proxy pipeline: the upstream gets the real value', async () => {
      const out = await viaListener('api.test', '/transparent');
      assert.match(out, /^HTTP\/1\.1 200/);
      assert.equal(f.seen.find((s) => s.url === '/transparent')?.authorization, `Bearer ${REAL}`);
      assert.ok(!out.includes(REAL));
      assert.ok(events.some((e) => e.kind === 'tunnel' && e.destination === `api.test:${f.upstreamPort}`));
    });

    test('without SNI: a TLS alert, nothing forwarded', async () => {
      const n = f.seen.length;
      const out = await viaListener(undefined, '/nosni');
      assert.match(out, /unrecognized name/i);
      assert.equal(f.seen.length, n);
      assert.ok(events.some((e) => e.kind === 'no_sni'));
    });

    test('a source address no run claimed is refused', async () => {
      routes.delete('127.0.0.1');
      try {
        const out = await viaListener('api.test', '/unclaimed');
        assert.match(out, /^error: |^$/);
        assert.ok(events.some((e) => e.kind === 'unknown_source' && e.source === '127.0.0.1'));
        assert.equal(f.seen.some((s) => s.url === '/unclaimed'), false);
      } finally {
        routes.set('127.0.0.1', { sandboxId: sandbox.id, proxyUrl: sandbox.proxyUrl });
      }
    });

    test("plain HTTP: the destination comes from Host, and the proxy's refusal reaches the client", async () => {
      const out = await new Promise<string>((resolve) => {
        const s = net.connect(listener.port, '127.0.0.1', () => s.write(`GET /plain HTTP/1.1\r\nHost: api.test:${f.upstreamPort}\r\nAuthorization: Bearer ${sandbox.env.API_TOKEN}\r\nConnection: close\r\n\r\n`));
        let buf = '';
        s.on('data', (d) => (buf += d));
        s.on('close', () => resolve(buf));
      });
      // The secret allows only TLS: the proxy blocks the placeholder over plain http (DESIGN.md §2.3).
      assert.match(out, /^HTTP\/1\.1 403/);
      assert.equal(f.seen.some((s) => s.url === '/plain'), false);
    });
  });
});
