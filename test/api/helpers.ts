// Shared helpers for the API tests (not a test file itself).
import assert from 'node:assert/strict';
import type { ApiScope } from '../../src/core/types.js';
import type { TestServer } from '../helpers/server.js';

export interface Reply {
  status: number;
  body: any;
  headers: Headers;
  text: string;
}

export interface CallOptions {
  body?: unknown;
  /** The bearer key; the admin key when undefined, no Authorization header when null. */
  key?: string | null;
  headers?: Record<string, string>;
  /** A raw body sent as is (for malformed JSON). */
  raw?: string;
}

/** Every reply seen through `call`, for tests that inspect all of them afterwards. */
export const seenReplies: Array<{ method: string; path: string; reply: Reply }> = [];

/** Calls the API over a real socket; JSON in and out. */
export async function call(s: TestServer, method: string, path: string, opts: CallOptions = {}): Promise<Reply> {
  const key = opts.key === undefined ? s.adminKey : opts.key;
  const headers: Record<string, string> = { ...opts.headers };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  let body: string | undefined;
  if (opts.raw !== undefined) {
    body = opts.raw;
    headers['content-type'] ??= 'application/json';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(s.apiUrl + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  const reply = { status: res.status, body: parsed as any, headers: res.headers, text };
  seenReplies.push({ method, path, reply });
  return reply;
}

/** Asserts a status, showing the body when it differs. */
export function expectStatus(r: Reply, status: number, what = ''): void {
  assert.equal(r.status, status, `${what ? `${what}: ` : ''}expected ${status}, got ${r.status} ${r.text.slice(0, 400)}`);
}

/** Creates an API key with the admin key (or `as`); returns its id and the key text. */
export async function createKey(
  s: TestServer,
  input: { name?: string; scopes?: ApiScope[]; userId?: string; workspaceId?: string | null; expiresAt?: string | null; kind?: 'live' | 'test' } = {},
  as?: string,
): Promise<{ id: string; key: string; body: any }> {
  const r = await call(s, 'POST', '/v1/api-keys', { body: { name: input.name ?? 'test key', ...input }, key: as });
  expectStatus(r, 201, 'create API key');
  return { id: r.body.id, key: r.body.key, body: r.body };
}

/** Creates a member user and a key for them (stn_u_…) with the default member scopes. */
export async function createMember(s: TestServer, name: string): Promise<{ userId: string; key: string; keyId: string }> {
  const u = await call(s, 'POST', '/v1/users', { body: { name, role: 'member' } });
  expectStatus(u, 201, 'create member');
  const k = await createKey(s, { name: `${name}'s key`, userId: u.body.id });
  return { userId: u.body.id, key: k.key, keyId: k.id };
}

/** Creates an API key through the services (no HTTP request, so no rate-limit budget is spent). */
export async function createKeyDirect(s: TestServer, input: { name?: string; scopes?: ApiScope[] } = {}): Promise<{ id: string; key: string }> {
  const svc = s.running.core.services.keys;
  const actor = await svc.authenticate(s.adminKey, null);
  const { key, secret } = await svc.create(actor, { name: input.name ?? 'direct key', scopes: input.scopes });
  return { id: key.id, key: secret };
}

export async function createWorkspace(s: TestServer, name: string): Promise<string> {
  const r = await call(s, 'POST', '/v1/workspaces', { body: { name } });
  expectStatus(r, 201, 'create workspace');
  return r.body.id;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits, if needed, so that the next few seconds stay inside one one-minute rate-limit window. */
export async function awaitFreshWindow(needSeconds = 4): Promise<void> {
  const intoWindow = (Date.now() / 1000) % 60;
  if (60 - intoWindow < needSeconds) await sleep((60 - intoWindow) * 1000 + 50);
}
