/**
 * Test PKI for loopback HTTPS upstreams. Built with @peculiar/x509 directly, independent of the
 * proxy's own CA code, so upstream verification is tested against certificates the code under
 * test did not make. Generated once per process per set of names.
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

/** A certificate and its private key, PEM, ready for `https.createServer({ cert, key })`. */
export interface CertKey {
  cert: string;
  key: string;
}

export interface TestPki {
  /** The test CA certificate (PEM): what the proxy trusts via STANDIN_UPSTREAM_CA_FILE. */
  caPem: string;
  /** `caPem` written to a temp file (removed at process exit). */
  caFile: string;
  /** Valid server cert for localhost, 127.0.0.1, ::1 and the extra names. */
  server: CertKey;
  /** Same names, signed by the test CA, but expired yesterday. */
  expired: CertKey;
  /** Same names, valid, signed by a CA nobody trusts. */
  untrusted: CertKey & { caPem: string };
  /** Issues another server cert from the test CA, e.g. one whose names do not match. */
  issue(names: string[], validity?: { notBefore: Date; notAfter: Date }): Promise<CertKey>;
}

interface TestCa {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

const BASE_NAMES = ['localhost', '127.0.0.1', '::1'];
let tempDir: string | undefined;
const cache = new Map<string, Promise<TestPki>>();

async function exportKeyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

async function makeCa(cn: string): Promise<TestCa> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${cn}`,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 365 * DAY),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys };
}

async function issueFrom(ca: TestCa, names: string[], validity?: { notBefore: Date; notAfter: Date }): Promise<CertKey> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${names[0] ?? 'localhost'}`,
    issuer: ca.cert.subject,
    notBefore: validity?.notBefore ?? new Date(Date.now() - DAY),
    notAfter: validity?.notAfter ?? new Date(Date.now() + 30 * DAY),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((n) => ({ type: isIP(n) ? ('ip' as const) : ('dns' as const), value: n }))),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportKeyPem(keys.privateKey) };
}

async function build(names: string[], seq: number): Promise<TestPki> {
  const [ca, other] = await Promise.all([makeCa('standin test CA'), makeCa('untrusted test CA')]);
  const [server, expired, untrusted] = await Promise.all([
    issueFrom(ca, names),
    issueFrom(ca, names, { notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) }),
    issueFrom(other, names),
  ]);
  const caPem = ca.cert.toString('pem');
  if (!tempDir) {
    tempDir = mkdtempSync(join(tmpdir(), 'standin-test-pki-'));
    const dir = tempDir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const caFile = join(tempDir, `ca-${seq}.pem`);
  writeFileSync(caFile, caPem);
  return {
    caPem,
    caFile,
    server,
    expired,
    untrusted: { ...untrusted, caPem: other.cert.toString('pem') },
    issue: (n, validity) => issueFrom(ca, n, validity),
  };
}

/**
 * Returns the test PKI whose server certificates cover localhost, 127.0.0.1, ::1 and
 * `extraNames` (e.g. `api.openai.com`, `api.openai.com.evil.test`). Memoized per name set.
 */
export function makeTestPki(extraNames: string[] = []): Promise<TestPki> {
  const names = [...new Set([...BASE_NAMES, ...extraNames.map((n) => n.toLowerCase())])];
  const key = [...names].sort().join(',');
  let pki = cache.get(key);
  if (!pki) {
    pki = build(names, cache.size);
    cache.set(key, pki);
  }
  return pki;
}
