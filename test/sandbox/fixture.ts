/**
 * Shared set-up of the `standin run` suites: a real standin (API + proxy) on loopback, a TLS
 * upstream for `api.test` / `outside.test` (both resolved to 127.0.0.1 by the proxy through
 * STANDIN_RESOLVE) that records what it receives and speaks just enough smart HTTP for
 * `git ls-remote`, a secret bound to it, and a helper that runs the real CLI (bin/standin.js)
 * as a child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeTestPki } from '../helpers/tls.js';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const BIN = join(ROOT, 'bin', 'standin.js');
export const REAL = `real-Value-${Math.random().toString(36).slice(2)}-0123456789`;

export interface Seen {
  method: string;
  url: string;
  authorization: string | null;
}

export interface Fixture {
  server: TestServer;
  upstreamPort: number;
  /** Requests the upstream received, in order. */
  seen: Seen[];
  /** HOME, saved sandboxes and the like for the CLI children. */
  home: string;
  cliEnv: Record<string, string>;
  close(): Promise<void>;
}

const pkt = (s: string) => (s.length + 4).toString(16).padStart(4, '0') + s;
export const GIT_SHA = '1234567890abcdef1234567890abcdef12345678';

/**
 * The upstream. `/repo.git/info/refs?service=git-upload-pack` answers 401 with a Basic
 * challenge until credentials arrive (git sends the URL's credentials only after a challenge),
 * then a v0 advertisement of one ref (RFC-less but documented: gitprotocol-http(5)).
 */
async function startUpstream(cert: { cert: string; key: string }, seen: Seen[]): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = https.createServer(cert, (req, res) => {
    req.resume();
    req.on('end', () => {
      const authorization = req.headers.authorization ?? null;
      seen.push({ method: req.method ?? '', url: req.url ?? '', authorization });
      if (req.url?.startsWith('/repo.git/info/refs')) {
        if (!authorization) {
          res.writeHead(401, { 'www-authenticate': 'Basic realm="repo"', 'content-length': '0' });
          return void res.end();
        }
        const body = pkt('# service=git-upload-pack\n') + '0000' + pkt(`${GIT_SHA} refs/heads/main\0multi_ack\n`) + '0000';
        res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-advertisement', 'cache-control': 'no-cache' });
        return void res.end(body);
      }
      // Echo back what arrived, the credential included: the proxy must redact it on the way back.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path: req.url, authorization }));
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

export async function startFixture(): Promise<Fixture> {
  const pki = await makeTestPki(['api.test', 'outside.test']);
  const seen: Seen[] = [];
  const upstream = await startUpstream(pki.server, seen);
  const server = await startTestServer({
    env: { STANDIN_RESOLVE: 'api.test=127.0.0.1,outside.test=127.0.0.1', STANDIN_EGRESS_ALLOW: '127.0.0.1', STANDIN_UPSTREAM_CA_FILE: pki.caFile },
  });
  const created = await server.api('POST', '/v1/secrets', { name: 'api-token', value: REAL, hosts: [`api.test:${upstream.port}`] });
  if (created.status !== 201) throw new Error(`secret create failed: ${JSON.stringify(created.body)}`);
  const home = mkdtempSync(join(tmpdir(), 'standin-run-test-'));
  const cliEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_STATE_HOME: join(home, 'state'),
    STANDIN_URL: server.apiUrl,
    STANDIN_API_KEY: server.adminKey,
    UPPORT: String(upstream.port),
    LANG: 'C.UTF-8',
  };
  return {
    server, upstreamPort: upstream.port, seen, home, cliEnv,
    async close() {
      await upstream.close();
      await server.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `standin …args` with the fixture's environment; killed after `timeoutMs`. */
export function cli(f: Fixture, args: string[], opts: { env?: Record<string, string>; timeoutMs?: number; onSpawn?: (c: ChildProcess) => void; prefix?: string[] } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const [file, ...pre] = opts.prefix ?? [process.execPath];
    const child = spawn(file!, [...pre, ...(opts.prefix ? [process.execPath] : []), BIN, ...args], { env: { ...f.cliEnv, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    opts.onSpawn?.(child);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Waits until `check` is true (bounded). */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, stepMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return false;
}

/** The placeholder printed by a command as `PH=<value>`. */
export function placeholderIn(out: string): string {
  const m = /PH=(stn_ph_[A-Za-z0-9]+)/.exec(out);
  if (!m) throw new Error(`no placeholder in output:\n${out}`);
  return m[1]!;
}

/**
 * The four clients, each sending `Authorization: Bearer $API_TOKEN` to api.test (git: the
 * placeholder as the password of the URL, sent as Basic after the upstream's challenge).
 * Printed: PH=<placeholder>, each client's answer, and the whole environment.
 */
export const CLIENTS_SCRIPT = `
set -u
echo "PH=$API_TOKEN"
echo "--- curl"; curl -sS -m 15 \${CURL_FLAGS:-} -H "Authorization: Bearer $API_TOKEN" "https://api.test:$UPPORT/curl"; echo
echo "--- python"; python3 -c 'import os, requests; print(requests.get("https://api.test:%s/python" % os.environ["UPPORT"], headers={"Authorization": "Bearer " + os.environ["API_TOKEN"]}, timeout=15).text)'
echo "--- node"; node -e 'fetch("https://api.test:" + process.env.UPPORT + "/node", { headers: { authorization: "Bearer " + process.env.API_TOKEN } }).then((r) => r.text()).then(console.log, (e) => { console.log("node fetch failed", e.cause ?? e); process.exitCode = 1; })'
echo "--- git"; git -c credential.helper= ls-remote "https://x:$API_TOKEN@api.test:$UPPORT/repo.git"
echo "--- env"; env
`;
