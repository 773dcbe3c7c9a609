/**
 * The CA files a sandbox gets: standin's CA alone (for NODE_EXTRA_CA_CERTS, which adds to Node's
 * roots) and a bundle of the system roots plus standin's CA (for the variables that replace a
 * runtime's roots). Written to a private temp directory (0700, files 0600) that the run removes
 * afterwards; the user's own trust stores are never touched.
 */
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { fileURLToPath } from 'node:url';
import type { TrustPaths } from './env.js';

/** Where distributions keep the system bundle, most common first. */
export const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt', // Debian, Ubuntu, Arch, Alpine, Gentoo
  '/etc/pki/tls/certs/ca-bundle.crt', // Fedora, RHEL, CentOS
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem', // RHEL 7+
  '/etc/ssl/ca-bundle.pem', // openSUSE
  '/etc/pki/tls/cacert.pem', // OpenELEC
  '/etc/ssl/cert.pem', // Alpine, macOS, BSDs
  '/usr/local/etc/openssl/cert.pem', // Homebrew
];

/**
 * The roots the sandbox should keep trusting: the user's own SSL_CERT_FILE when it names a file
 * (a corporate CA stays trusted), else the first system bundle, else Node's bundled Mozilla roots.
 */
export function systemRoots(env: Readonly<Record<string, string | undefined>> = process.env, candidates = SYSTEM_BUNDLES): { pem: string; source: string } {
  const own = env.SSL_CERT_FILE;
  for (const p of [...(own ? [own] : []), ...candidates]) {
    try {
      if (existsSync(p)) return { pem: readFileSync(p, 'utf8'), source: p };
    } catch {
      /* unreadable: next */
    }
  }
  return { pem: rootCertificates.join('\n'), source: 'node:tls rootCertificates' };
}

export interface TrustDir extends TrustPaths {
  dir: string;
  remove(): void;
}

const withNewline = (s: string) => (s.endsWith('\n') ? s : `${s}\n`);

/** Writes ca.pem and ca-bundle.pem into a fresh private directory; `owner` chowns them (the command's uid). */
export function writeTrustDir(caPem: string, opts: { env?: Readonly<Record<string, string | undefined>>; owner?: { uid: number; gid: number } | null; parent?: string } = {}): TrustDir {
  const dir = mkdtempSync(join(opts.parent ?? tmpdir(), 'standin-run-'));
  const caFile = join(dir, 'ca.pem');
  const bundleFile = join(dir, 'ca-bundle.pem');
  try {
    writeFileSync(caFile, withNewline(caPem), { mode: 0o600 });
    writeFileSync(bundleFile, withNewline(systemRoots(opts.env).pem) + `# standin egress proxy CA\n${withNewline(caPem)}`, { mode: 0o600 });
    if (opts.owner) for (const p of [dir, caFile, bundleFile]) chownSync(p, opts.owner.uid, opts.owner.gid);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return { dir, caFile, bundleFile, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The absolute path of node-preload.cjs. tsc does not copy .cjs files to dist/, so a built CLI
 * finds it in the package's src/sandbox/ directory.
 */
export function nodePreloadPath(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  const direct = join(dir, 'node-preload.cjs');
  if (existsSync(direct)) return direct;
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'src', 'sandbox', 'node-preload.cjs');
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  return null;
}
