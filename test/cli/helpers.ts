/**
 * Runs the real `standin` CLI (bin/standin.js) as a child process with a clean environment: HOME
 * and the config file in a temp dir, and only the STANDIN_* settings a test passes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'standin.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Every output a test saw, so it can assert at the end that no canary appeared anywhere. */
export const transcript: string[] = [];

const homes: string[] = [];
process.once('exit', () => {
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

/** A fresh HOME with STANDIN_CONFIG inside it; nothing from the outer environment leaks in. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), 'standin-cli-home-'));
  homes.push(home);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    STANDIN_CONFIG: join(home, 'standin-config.json'),
    NODE_ENV: 'test',
  };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

/** Runs `standin …args` to completion; `input` is piped to stdin (stdin is closed either way). */
export function runCli(args: string[], opts: { env: Record<string, string>; input?: string; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: opts.env, cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      transcript.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** A port that was free a moment ago (bind port 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface ServeProcess {
  child: ChildProcess;
  port: number;
  url: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) once the process has ended. */
  exited: Promise<number | string | null>;
}

/** Starts `standin serve --no-proxy` and waits until it says it listens (or exits). */
export async function startServe(args: string[], env: Record<string, string>): Promise<ServeProcess> {
  const port = await freePort();
  const proxyPort = await freePort();
  const child = spawn(process.execPath, [BIN, 'serve', '--no-proxy', '--host', '127.0.0.1', '--port', String(port), '--proxy-port', String(proxyPort), ...args], {
    env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => {
    transcript.push(out, err);
    resolve(code ?? signal);
  }));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in time:\n${err}`)), 20_000);
    const check = () => {
      if (/standin: listening/.test(err)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr!.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      resolve(); // the caller looks at the exit code
    });
  });
  return { child, port, url: `http://127.0.0.1:${port}`, stdout: () => out, stderr: () => err, exited };
}
