import 'reflect-metadata';
import { createPrivateKey, createPublicKey, randomBytes, sign, webcrypto, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';
import { StandinError } from '../core/errors.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const DAY_MS = 86_400_000;
/** Ten years: every sandbox trusts the CA, so replacing it is disruptive; keep it long-lived. */
const CA_VALIDITY_MS = 3650 * DAY_MS;
/** Backdate the CA a little so a sandbox whose clock lags slightly still accepts it. */
const CA_BACKDATE_MS = DAY_MS;

/** The CA as stored: certificate and PKCS#8 private key, both PEM. `keyPem` is secret material. */
export interface CaMaterial {
  certPem: string;
  keyPem: string;
}

/**
 * Where the CA lives between runs. The caller owns persistence and encrypts `keyPem` at rest
 * (keyring); this module only produces and consumes the material.
 */
export interface CaStore {
  load(): Promise<CaMaterial | null>;
  save(material: CaMaterial): Promise<void>;
}

/** What a leaf needs besides the CA: its host, the public key it certifies, its validity. */
export interface LeafRequest {
  /** Normalized host name (lower-case, no trailing dot) or an IP literal (IPv6 without brackets). */
  host: string;
  /** SubjectPublicKeyInfo, DER. */
  publicKeySpki: Buffer;
  notBefore: Date;
  notAfter: Date;
}

/**
 * A positive, non-zero 128-bit serial (RFC 5280 §4.1.2.2 allows up to 20 octets; the CA/B
 * baseline asks for ≥ 64 random bits). Top bit cleared, first octet non-zero: minimal DER.
 */
const randomSerial = (): Buffer => {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b;
};

/**
 * Creates a fresh interception CA: ECDSA P-256, self-signed, basicConstraints CA:true pathLen 0,
 * keyUsage keyCertSign|cRLSign, ~10 years.
 *
 * No nameConstraints: the CA must sign leaves for whatever public host a sandbox contacts, so any
 * permitted subtree would break real traffic. Its blast radius is bounded instead by being unique
 * per installation, trusted only inside sandboxes, pathLen 0, and its key encrypted at rest.
 */
export async function generateCa(now: Date = new Date()): Promise<CaMaterial> {
  const keys = (await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial().toString('hex'),
    name: [{ CN: [`standin local CA ${randomBytes(4).toString('hex')}`] }, { O: ['standin'] }],
    notBefore: new Date(now.getTime() - CA_BACKDATE_MS),
    notAfter: new Date(now.getTime() + CA_VALIDITY_MS),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' });
  return { certPem: cert.toString('pem'), keyPem: String(keyPem) };
}

// --- Minimal DER framing for leaf certificates (X.690). Leaves are signed synchronously so the
// SNI callback can answer without a round trip through the event loop: @peculiar/x509's generator
// is async and measured ~1.8 ms per leaf, this path ~0.3 ms. The library still encodes every
// structured part (names, SANs, extensions); only the outer framing is written here.
const derLen = (n: number): Buffer =>
  n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]); // callers stay far below 64 KiB
const tlv = (tag: number, ...parts: Buffer[]): Buffer => {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), derLen(body.length), body]);
};
const SEQUENCE = 0x30;
/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, always seconds + Z. */
const derTime = (d: Date): Buffer => {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '') + 'Z';
  const year = d.getUTCFullYear();
  return year < 2050 ? tlv(0x17, Buffer.from(digits.slice(2), 'ascii')) : tlv(0x18, Buffer.from(digits, 'ascii'));
};
const V3 = Buffer.from([0xa0, 0x03, 0x02, 0x01, 0x02]);
/** AlgorithmIdentifier ecdsa-with-SHA256 (RFC 5758 §3.2), parameters absent. */
const ECDSA_SHA256 = Buffer.from('300a06082a8648ce3d040302', 'hex');
const extDer = (e: x509.Extension): Buffer => Buffer.from(e.rawData);
// Leaf profile shared by every leaf: CA:false; digitalSignature only (ECDSA signs, never
// enciphers); EKU serverAuth.
const LEAF_EXTENSIONS = [
  new x509.BasicConstraintsExtension(false, undefined, true),
  new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
  new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
].map(extDer);

const pem = (der: Buffer): string =>
  `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`;

/**
 * A loaded CA that signs leaf certificates. The private key sits in a private field, so logging
 * or serializing a `Ca` cannot reveal it.
 */
export class Ca {
  /** The CA certificate, PEM: what sandboxes must trust and `standin ca export` prints. */
  readonly certPem: string;
  readonly cert: x509.X509Certificate;
  readonly #key: KeyObject;
  readonly #issuer: Buffer;
  readonly #aki: Buffer;

  private constructor(cert: x509.X509Certificate, key: KeyObject, aki: x509.Extension) {
    this.cert = cert;
    this.certPem = cert.toString('pem');
    this.#key = key;
    this.#issuer = Buffer.from(cert.subjectName.toArrayBuffer());
    this.#aki = extDer(aki);
  }

  /**
   * Loads CA material, checking that the certificate is a CA and that the key belongs to it
   * (a mismatched pair would otherwise surface later as every handshake failing).
   */
  static async load(material: CaMaterial): Promise<Ca> {
    let cert: x509.X509Certificate;
    let key: KeyObject;
    try {
      cert = new x509.X509Certificate(material.certPem);
      key = createPrivateKey(material.keyPem);
      const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
      if (!spki.equals(Buffer.from(cert.publicKey.rawData))) throw new Error('key does not match certificate');
    } catch (e) {
      throw new StandinError('crypto_failed', 'the stored proxy CA is unreadable or its key does not match', undefined, { cause: e });
    }
    const bc = cert.getExtension(x509.BasicConstraintsExtension);
    if (!bc?.ca) throw new StandinError('crypto_failed', 'the stored proxy CA certificate is not a CA');
    if (key.asymmetricKeyType !== 'ec') throw new StandinError('crypto_failed', 'the stored proxy CA key is not an EC key');
    // AKI lets clients pick the issuer by key id (RFC 5280 §4.2.1.1); computed once for all leaves.
    const aki = await x509.AuthorityKeyIdentifierExtension.create(cert.publicKey);
    return new Ca(cert, key, aki);
  }

  /** True when the CA is outside its validity window at `now`. */
  isExpired(now: Date = new Date()): boolean {
    return now < this.cert.notBefore || now >= this.cert.notAfter;
  }

  /**
   * Signs a TLS server leaf, synchronously: SAN dNSName (iPAddress for an IP literal), EKU
   * serverAuth, keyUsage digitalSignature, CA:false, signed ecdsa-with-SHA256. Returns PEM.
   */
  issueLeaf(req: LeafRequest): string {
    const ip = isIP(req.host) !== 0;
    // CN is capped at 64 chars (RFC 5280 ub-common-name) and clients match the SAN anyway
    // (RFC 6125 §6.4.4), so longer names get an empty subject and a critical SAN (§4.2.1.6).
    const withCn = req.host.length <= 64;
    const subject = withCn ? Buffer.from(new x509.Name([{ CN: [req.host] }]).toArrayBuffer()) : tlv(SEQUENCE);
    const san = new x509.SubjectAlternativeNameExtension([{ type: ip ? 'ip' : 'dns', value: req.host }], !withCn);
    const tbs = tlv(
      SEQUENCE,
      V3,
      tlv(0x02, randomSerial()),
      ECDSA_SHA256,
      this.#issuer,
      tlv(SEQUENCE, derTime(req.notBefore), derTime(req.notAfter)),
      subject,
      req.publicKeySpki,
      tlv(0xa3, tlv(SEQUENCE, ...LEAF_EXTENSIONS, extDer(san), this.#aki)),
    );
    const signature = sign('sha256', tbs, this.#key); // DER ECDSA-Sig-Value, as X.509 wants
    return pem(tlv(SEQUENCE, tbs, ECDSA_SHA256, tlv(0x03, Buffer.from([0]), signature)));
  }
}

/**
 * Returns the stored CA, or generates one and saves it on first start. An expired stored CA is
 * replaced (its leaves could not verify anyway); sandboxes created afterwards get the new PEM.
 */
export async function loadOrCreateCa(store: CaStore, now: Date = new Date()): Promise<Ca> {
  const stored = await store.load();
  if (stored) {
    const ca = await Ca.load(stored);
    if (!ca.isExpired(now)) return ca;
  }
  const material = await generateCa(now);
  await store.save(material);
  return Ca.load(material);
}
