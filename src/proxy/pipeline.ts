/**
 * The per-request pipeline (DESIGN.md §6), the same for absolute-form requests on the explicit
 * listener and for every request inside an intercepted tunnel:
 *
 *   identity → destination (CONNECT authority = SNI = Host) → placeholders (find, decide, swap)
 *   → sandbox egress policy → SSRF guard → forward and relay (with redaction) → egress event and
 *   the canonical log line.
 *
 * Every refusal answers with the JSON error of its code and is recorded; nothing is forwarded
 * unless every check passed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable, type Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { performance } from 'node:perf_hooks';
import type { ErrorCode } from '../core/errors.js';
import { checkDestinationConsistency, checkEgressPolicy, type Destination } from '../core/policy.js';
import { scanQuery } from '../core/placeholder.js';
import type { EgressDecision, Sandbox } from '../core/types.js';
import { randomId } from '../crypto/tokens.js';
import type { LineWriter, Logger } from '../log/logger.js';
import type { SandboxAuth, Identity } from './auth.js';
import { BodySwapper, bodyKind } from './body.js';
import type { DestinationGuard } from './destination-guard.js';
import { hostHeader, pathOf, splitAbsolute, type Authority } from './destination.js';
import { tripwireRow, type EventWriter } from './events.js';
import { endToEndRequestHeaders } from './hop-by-hop.js';
import { F, REQUEST_LINE } from './log-fields.js';
import { forward } from './relay.js';
import { sendError, shortPlaceholder } from './respond.js';
import type { SwapCache } from './swap-cache.js';
import { SwapDenied, bodyDecider, planSwaps, type SwapUse } from './swap.js';
import type { UpstreamPools } from './upstream.js';

/** Everything the pipeline uses, built once by server.ts. */
export interface PipelineDeps {
  auth: SandboxAuth;
  cache: SwapCache;
  guard: DestinationGuard;
  pools: UpstreamPools;
  events: EventWriter;
  log: Logger;
  /** Writes the canonical line (log/logger.ts lineWriter: scrubbed, without pino's serialiser). */
  requestLine: LineWriter;
}

/** What a connection knows before its requests: set by the CONNECT handler for tunnels. */
export interface ConnectionInfo {
  /** The tunnel's sandbox; null on the explicit listener (each request authenticates). */
  identity: Identity | null;
  /** The CONNECT authority and what runs inside the tunnel; null on the explicit listener. */
  tunnel: (Authority & { scheme: 'http' | 'https' }) | null;
  tlsSocket: TLSSocket | null;
  /** The last Host header found consistent on this tunnel: clients repeat the same one. */
  consistentHost?: string;
}

/** Bodies up to this size are swapped whole, keeping Content-Length; larger ones stream chunked. */
const BUFFERED_BODY_MAX = 1024 * 1024;
/** Longest path kept in events and logs. */
const MAX_PATH = 2048;

const PROXY_AUTHENTICATE = { 'proxy-authenticate': 'Basic realm="standin"' };

// Ids from a per-process random part and a counter: unique across instances, and free, where
// a random id per event (randomBytes) was a measurable share of the per-request cost.
let seq = 0;
const idPrefix = randomId('', 12);
const nextId = (): string => `${idPrefix}${(seq++).toString(36).padStart(6, '0')}`;

/** The path for records: no query, placeholders shortened, bounded. */
function recordedPath(target: string): string {
  let path = pathOf(target);
  const found = scanQuery(path);
  for (let i = found.length - 1; i >= 0; i--) {
    const m = found[i] as (typeof found)[number];
    path = path.slice(0, m.start) + shortPlaceholder(m.token) + path.slice(m.end);
  }
  return path.length > MAX_PATH ? `${path.slice(0, MAX_PATH)}…` : path;
}

class Refusal extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly tripwire: Record<string, unknown> | null = null, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

interface Exchange {
  requestId: string;
  at: string;
  t0: number;
  method: string;
  scheme: 'http' | 'https';
  host: string;
  port: number;
  path: string;
  sandbox: Sandbox | null;
  status: number | null;
  decision: EgressDecision;
  code: ErrorCode | null;
  reason: string | null;
  uses: SwapUse[];
  bytesIn: number;
  bytesOut: number;
  tripwire: Record<string, unknown> | null;
}

/**
 * Handles one request. `upgrade` is set for a WebSocket upgrade (then `res` is a response bound
 * to the raw socket, used for refusals and non-101 answers).
 */
export async function handleRequest(
  deps: PipelineDeps,
  conn: ConnectionInfo,
  req: IncomingMessage,
  res: ServerResponse,
  upgrade?: { socket: Duplex; head: Buffer },
): Promise<void> {
  const x: Exchange = {
    requestId: `prx_${nextId()}`, at: new Date().toISOString(), t0: performance.now(), method: req.method ?? 'GET',
    scheme: conn.tunnel?.scheme ?? 'http', host: conn.tunnel?.host ?? '', port: conn.tunnel?.port ?? 0, path: '',
    sandbox: null, status: null, decision: 'allowed', code: null, reason: null, uses: [], bytesIn: 0, bytesOut: 0, tripwire: null,
  };
  try {
    await run(deps, conn, req, res, x, upgrade);
  } catch (e) {
    const r = e instanceof Refusal ? e : null;
    x.decision = r?.code === 'upstream_failed' || r?.code === 'upstream_tls_failed' || !r ? 'error' : 'blocked';
    x.code = r?.code ?? 'internal';
    x.reason = r?.message ?? 'internal error';
    x.tripwire = r?.tripwire ?? null;
    if (!r) deps.log.error({ err: e, [F.requestId]: x.requestId }, 'proxy pipeline failed');
    x.status = sendError(res, x.code, x.reason, r?.headers);
  } finally {
    finish(deps, x);
  }
}

async function run(
  deps: PipelineDeps,
  conn: ConnectionInfo,
  req: IncomingMessage,
  res: ServerResponse,
  x: Exchange,
  upgrade: { socket: Duplex; head: Buffer } | undefined,
): Promise<void> {
  // 1. Who: the tunnel's sandbox (re-checked: it may have been deleted since), or this request's credential.
  const identity = conn.identity ? await deps.auth.current(conn.identity) : await deps.auth.authenticate(req.headers['proxy-authorization']);
  if (identity === null) {
    if (conn.identity) x.sandbox = conn.identity.sandbox;
    throw new Refusal('proxy_auth_required', conn.identity ? 'the sandbox of this connection no longer exists' : 'proxy credentials are missing or invalid; use the proxy URL given when the sandbox was created', null, PROXY_AUTHENTICATE);
  }
  if (conn.identity) conn.identity = identity;
  const sandbox = identity.sandbox;
  x.sandbox = sandbox;
  const waited = deps.events.ready();
  if (waited) await waited;

  // 2. Where: the tunnel's authority, or the absolute-form URL; SNI and Host must agree.
  const url = req.url ?? '';
  let target = url;
  let dest: Authority & { scheme: 'http' | 'https' };
  const absolute = /^https?:\/\//i.test(url) ? splitAbsolute(url) : null;
  if (/^https?:\/\//i.test(url) && !absolute) throw new Refusal('bad_request', 'the request URL is malformed');
  if (conn.tunnel) {
    dest = conn.tunnel;
    if (absolute) {
      if (absolute.authority.host !== dest.host || absolute.authority.port !== dest.port || absolute.scheme !== dest.scheme) {
        throw new Refusal('misdirected_request', `the request URL names another destination than the tunnel (${hostHeader(dest, dest.scheme)})`);
      }
      target = absolute.target;
    }
  } else {
    if (!absolute) throw new Refusal('bad_request', 'send absolute-form http:// requests, or CONNECT for https');
    if (absolute.scheme !== 'http') throw new Refusal('bad_request', 'https:// requests go through CONNECT');
    dest = { ...absolute.authority, scheme: 'http' };
    target = absolute.target;
  }
  if (!target.startsWith('/')) throw new Refusal('bad_request', 'the request target must be an absolute path');
  x.scheme = dest.scheme;
  x.host = dest.host;
  x.port = dest.port;
  x.path = recordedPath(target);
  const sni = conn.tlsSocket && typeof conn.tlsSocket.servername === 'string' ? conn.tlsSocket.servername : null;
  const requestHost = req.headers.host ?? null;
  let inconsistent: Refusal | null = null;
  if (!(conn.tunnel && requestHost !== null && requestHost === conn.consistentHost)) {
    const consistent = checkDestinationConsistency(dest, sni, requestHost);
    if (!consistent.allow) inconsistent = new Refusal(consistent.code, consistent.reason);
    // The tunnel's authority and SNI are fixed for the connection, so the same Host is fine again.
    else if (conn.tunnel && requestHost !== null) conn.consistentHost = requestHost;
  }

  // 3. Body framing: strict, no ambiguity forwarded (RFC 9112 §6.3, DESIGN.md §2.7).
  const te = req.headers['transfer-encoding'];
  const cl = req.headers['content-length'];
  if (te !== undefined && cl !== undefined) throw new Refusal('bad_request', 'a request may not carry both Content-Length and Transfer-Encoding');
  if (cl !== undefined && !/^[0-9]{1,15}$/.test(cl)) throw new Refusal('bad_request', 'invalid Content-Length');
  const hasBody = !upgrade && (te !== undefined || (cl !== undefined && cl !== '0'));

  // 4. Placeholders: every one must be allowed, or nothing is forwarded. Decided before the
  // destination verdict is acted on, so a placeholder sent through a misdirected request or to a
  // host the sandbox may not reach still leaves a tripwire row naming it.
  const destination: Destination = { host: dest.host, port: dest.port, scheme: dest.scheme, tlsVerified: dest.scheme === 'https' };
  const ctx = { sandbox, destination, sniHost: sni, requestHost };
  let plan;
  try {
    plan = await planSwaps(deps.cache, ctx, endToEndRequestHeaders(req.rawHeaders, req.headers.connection), target);
  } catch (e) {
    throw refusalOf(e, x, sandbox);
  }
  if (inconsistent) throw inconsistent;

  // 5. The sandbox's own egress policy, for every request.
  let policy;
  try {
    policy = checkEgressPolicy(sandbox.egress, dest.host, dest.port);
  } catch {
    throw new Refusal('egress_denied', "the sandbox's egress policy is invalid");
  }
  if (!policy.allow) throw new Refusal(policy.code, policy.reason);
  x.uses = plan.uses;

  // 6. SSRF guard: resolve once, connect to the checked address only.
  const checked = await deps.guard.check(dest.host);
  if (!checked.ok) throw new Refusal(checked.code, checked.reason);

  // 7. The body: as is, or through the swapper when a bound secret opts into body placeholders.
  let body: Buffer | Readable | null = null;
  let length: number | null = cl !== undefined ? Number(cl) : null;
  const kind = hasBody ? bodyKind(req.headers['content-type']) : null;
  if (hasBody && kind && (await deps.cache.bodyScan(sandbox))) {
    const swapper = new BodySwapper(kind, bodyDecider(deps.cache, ctx, plan));
    if (length !== null && length <= BUFFERED_BODY_MAX) {
      try {
        const parts: Buffer[] = [];
        for await (const c of req) parts.push(await swapper.push(c as Buffer));
        parts.push(await swapper.end());
        body = Buffer.concat(parts);
      } catch (e) {
        throw refusalOf(e, x, sandbox);
      }
      length = body.length;
    } else {
      length = null;
      body = Readable.from(streamThrough(req, swapper, x), { objectMode: false });
    }
  } else if (hasBody) body = req;
  if (length !== null) x.bytesOut = length;

  const headers = ['host', hostHeader(dest, dest.scheme), ...plan.headers];
  if (length !== null && (hasBody || cl !== undefined)) headers.push('content-length', String(length));
  if (plan.redactions.length) {
    // Ask for an uncompressed answer, so the redactor sees the text (compressed ones are decoded).
    for (let i = 0; i < headers.length; i += 2) if ((headers[i] as string).toLowerCase() === 'accept-encoding') headers[i + 1] = 'identity';
    if (!headers.some((h, i) => i % 2 === 0 && h.toLowerCase() === 'accept-encoding')) headers.push('accept-encoding', 'identity');
  }

  const pool = deps.pools.get({ scheme: dest.scheme, host: dest.host, port: dest.port, address: checked.target.address });
  const result = await forward({ dispatcher: pool, method: x.method, target: plan.target, headers, body, redactions: plan.redactions, upgrade }, res);
  x.status = result.status;
  x.bytesIn = result.bytesIn;
  x.uses = plan.uses;
  if (result.error) {
    const denied = streamDenial.has(x) ? refusalOf(streamDenial.get(x), x, sandbox) : null;
    x.decision = denied ? 'blocked' : 'error';
    x.code = denied?.code ?? result.error.code;
    x.reason = denied?.message ?? result.error.message;
    x.tripwire = denied?.tripwire ?? null;
    if (!res.headersSent && !res.destroyed) x.status = sendError(res, x.code, x.reason);
    else if (x.status === null && res.headersSent) x.status = res.statusCode;
  }
}

/** A body denial seen while streaming, by exchange (the stream's error reaches us via undici). */
const streamDenial = new WeakMap<Exchange, unknown>();

async function* streamThrough(req: IncomingMessage, swapper: BodySwapper, x: Exchange): AsyncIterable<Buffer> {
  try {
    for await (const c of req) {
      const out = await swapper.push(c as Buffer);
      x.bytesOut += out.length;
      if (out.length) yield out;
    }
    const rest = await swapper.end();
    x.bytesOut += rest.length;
    if (rest.length) yield rest;
  } catch (e) {
    if (e instanceof SwapDenied) streamDenial.set(x, e);
    throw e;
  }
}

function refusalOf(e: unknown, x: Exchange, sandbox: Sandbox): Refusal {
  if (!(e instanceof SwapDenied)) return e instanceof Refusal ? e : new Refusal('internal', 'internal error');
  const where = `${x.host.includes(':') ? `[${x.host}]` : x.host}:${x.port}`;
  return new Refusal(e.denial.code, e.denial.reason, {
    sandboxId: sandbox.id,
    binding: e.binding?.envName ?? null,
    secret: e.binding?.secretName ?? null,
    destination: `${x.scheme}://${where}`,
    check: e.denial.check,
    reason: e.denial.reason,
    placeholder: shortPlaceholder(e.token),
  });
}

function finish(deps: PipelineDeps, x: Exchange): void {
  const ms = Math.round((performance.now() - x.t0) * 100) / 100;
  if (x.sandbox) {
    const event = {
      id: `egr_${nextId()}`, tenantId: x.sandbox.tenantId, sandboxId: x.sandbox.id, at: x.at, method: x.method, scheme: x.scheme,
      host: x.host, port: x.port, path: x.path, status: x.status, bytesIn: x.bytesIn, bytesOut: x.bytesOut, durationMs: ms,
      decision: x.decision, reason: x.reason, secrets: x.uses.map((u) => ({ binding: u.binding, secret: u.secret, version: u.version })),
      secretIds: x.decision === 'allowed' ? x.uses.map((u) => u.secretId) : [],
    };
    deps.events.record(event, x.decision === 'allowed' ? x.uses : [], x.sandbox, x.tripwire ? tripwireRow(x.sandbox, x.requestId, x.at, x.tripwire) : null);
  }
  const line = {
    [F.requestId]: x.requestId,
    [F.tenant]: x.sandbox?.tenantId ?? null,
    [F.sandbox]: x.sandbox?.id ?? null,
    [F.method]: x.method,
    [F.scheme]: x.scheme,
    [F.host]: x.host,
    [F.port]: x.port,
    [F.path]: x.path,
    [F.status]: x.status,
    [F.decision]: x.decision,
    [F.code]: x.code,
    [F.reason]: x.reason,
    [F.secrets]: x.uses.map((u) => `${u.binding}=${u.secret}@v${u.version}`),
    [F.bytesIn]: x.bytesIn,
    [F.bytesOut]: x.bytesOut,
    [F.ms]: ms,
  };
  deps.requestLine(x.decision === 'allowed' ? 'info' : 'warn', line, REQUEST_LINE);
}
