/**
 * The swap step of the pipeline (DESIGN.md §6 steps 3–4): find every placeholder in the header
 * values and the request target, decide each one with core/policy.ts (bound to this sandbox,
 * secret resolves by scope, destination consistent, TLS, host and port rules), and only when
 * every one is allowed, produce the rewritten headers and target plus what the response must
 * redact. Any "no" throws {@link SwapDenied}: the request is not forwarded at all.
 */
import { decideSwap, type Decision, type Denial, type Destination } from '../core/policy.js';
import { scanHeaderValue, scanQuery, swapHeaderValue, swapQuery, type Replacement } from '../core/placeholder.js';
import { getProvider } from '../core/providers.js';
import type { Binding, Sandbox, SecretMeta } from '../core/types.js';
import { valuePairs, type RedactionPair } from './redact.js';
import type { SecretMaterial, SwapCache } from './swap-cache.js';

/** One secret swapped into a request: what the egress event and the usage audit record. */
export interface SwapUse {
  secretId: string;
  binding: string;
  secret: string;
  version: number;
}

/** A refused placeholder, with what the tripwire row may name. */
export class SwapDenied extends Error {
  constructor(
    readonly denial: Denial,
    readonly token: string,
    /** Env name and secret name, only when the binding belongs to the requesting sandbox. */
    readonly binding: { envName: string; secretName: string } | null,
  ) {
    super(denial.reason);
    this.name = 'SwapDenied';
  }
}

/** Where the request goes and what it claims, for the decisions. */
export interface SwapContext {
  sandbox: Sandbox;
  destination: Destination;
  sniHost: string | null;
  requestHost: string | null;
}

/** An allowed placeholder with its value, held only for the duration of one request. */
interface Allowed {
  use: SwapUse;
  /** What core's swap functions write, each in the encoding of its place (core/placeholder.ts). */
  replacement: Exclude<Replacement, string>;
  /** What the sandbox holds: provider prefix + placeholder; what redaction puts back. */
  placeholderText: string;
  pairs: RedactionPair[];
}

/** Per decrypted version: the redaction pairs, computed once, not per request. */
const derived = new WeakMap<SecretMaterial, Map<string, RedactionPair[]>>();

function pairsFor(m: SecretMaterial, value: string, placeholderText: string): RedactionPair[] {
  let byText = derived.get(m);
  if (!byText) derived.set(m, (byText = new Map()));
  let pairs = byText.get(placeholderText);
  if (!pairs) byText.set(placeholderText, (pairs = valuePairs(value, placeholderText)));
  return pairs;
}

export interface SwapPlan {
  /** End-to-end request headers after the swap (flat name/value list). */
  headers: string[];
  /** Request target (path and query) after the swap. */
  target: string;
  uses: SwapUse[];
  /** Grows if a body swap happens later; the response redactor reads it live. */
  redactions: RedactionPair[];
}

const BASIC_RE = /^(basic[ \t]+)([A-Za-z0-9+/=_-]+)[ \t]*$/i;

/**
 * Decisions already taken for a resolved secret, by sandbox, binding and destination. Keyed by the
 * cached SecretMeta object, so any change (which replaces that object) starts afresh. The
 * decision is pure, so its result for the same inputs never changes.
 */
const decisions = new WeakMap<object, Map<string, Decision>>();

function decideCached(ctx: SwapContext, binding: Binding | null, secret: SecretMeta | null): Decision {
  const input = { sandbox: ctx.sandbox, binding, secret, destination: ctx.destination, sniHost: ctx.sniHost, requestHost: ctx.requestHost };
  if (secret === null || binding === null) return decideSwap(input);
  const dst = ctx.destination;
  const key = `${ctx.sandbox.id}\n${binding.id}\n${binding.envName}\n${dst.scheme}\n${dst.host}\n${dst.port}\n${dst.tlsVerified}\n${ctx.sniHost}\n${ctx.requestHost}`;
  let byKey = decisions.get(secret);
  if (!byKey) decisions.set(secret, (byKey = new Map()));
  let d = byKey.get(key);
  if (!d) {
    d = decideSwap(input);
    if (byKey.size < 1000) byKey.set(key, d);
  }
  return d;
}

/** Decides one placeholder for this request. Throws SwapDenied. */
async function decide(cache: SwapCache, ctx: SwapContext, token: string): Promise<Allowed> {
  const binding: Binding | null = await cache.binding(token);
  const own = binding !== null && binding.sandboxId === ctx.sandbox.id;
  const secret = own ? await cache.secretFor(ctx.sandbox, binding.secretName) : null;
  const d = decideCached(ctx, binding, secret);
  if (!d.allow) throw new SwapDenied(d, token, own ? { envName: binding.envName, secretName: binding.secretName } : null);
  const s = secret as NonNullable<typeof secret>;
  const m = await cache.material(s);
  const prefix = s.provider ? getProvider(s.provider)?.placeholderPrefix : undefined;
  const value = m.value.reveal();
  const placeholderText = (prefix ?? '') + token;
  const username = m.username?.reveal() ?? null;
  return {
    use: { secretId: s.id, binding: (binding as Binding).envName, secret: s.name, version: m.version },
    replacement: { value, ...(prefix ? { prefix } : {}), ...(username !== null ? { username } : {}) },
    placeholderText,
    pairs: pairsFor(m, value, placeholderText),
  };
}

function replacementIn(allowed: Map<string, Allowed>, token: string): Replacement | undefined {
  return allowed.get(token)?.replacement;
}

/**
 * Finds, decides and swaps the placeholders of headers and target. `headers` is a flat
 * end-to-end list (hop-by-hop fields already dropped). Throws SwapDenied on the first refusal.
 */
export async function planSwaps(cache: SwapCache, ctx: SwapContext, headers: string[], target: string): Promise<SwapPlan> {
  const tokens = new Set<string>();
  let headerHits: number[] | null = null;
  for (let i = 1; i < headers.length; i += 2) {
    const found = scanHeaderValue(headers[i] as string);
    if (found.length === 0) continue;
    (headerHits ??= []).push(i);
    for (const f of found) tokens.add(f.token);
  }
  const targetHits = scanQuery(target);
  for (const f of targetHits) tokens.add(f.token);
  if (tokens.size === 0) return { headers, target, uses: [], redactions: [] };

  const allowed = new Map<string, Allowed>();
  for (const t of tokens) allowed.set(t, await decide(cache, ctx, t));

  const redactions: RedactionPair[] = [];
  const out = headers.slice();
  // Bound, not a closure: under tsx (keepNames) every closure made per request paid a defineProperty.
  const lookup = replacementIn.bind(null, allowed);
  for (const i of headerHits ?? []) {
    const before = out[i] as string;
    const after = swapHeaderValue(before, lookup);
    out[i] = after;
    // Basic credentials changed as a whole: their base64 is redacted from the response too.
    const b0 = BASIC_RE.exec(before);
    const b1 = b0 && BASIC_RE.exec(after);
    if (b0 && b1 && b0[2] !== b1[2]) redactions.push({ secret: b1[2] as string, replacement: b0[2] as string });
  }
  const newTarget = targetHits.length ? swapQuery(target, lookup) : target;

  const uses: SwapUse[] = [];
  for (const a of allowed.values()) {
    uses.push(a.use);
    redactions.push(...a.pairs);
  }
  return { headers: out, target: newTarget, uses, redactions };
}

/**
 * The decider for placeholders in a body: only placeholders of this sandbox whose secret opts in
 * to body placeholders are swapped (or, when not allowed here, block the request); any other
 * placeholder in a body is data and stays as it is. Every swap is added to `plan`.
 */
export function bodyDecider(cache: SwapCache, ctx: SwapContext, plan: SwapPlan): (token: string) => Promise<Replacement | undefined> {
  return async (token) => {
    const binding = await cache.binding(token);
    if (!binding || binding.sandboxId !== ctx.sandbox.id) return undefined;
    const secret = await cache.secretFor(ctx.sandbox, binding.secretName);
    if (!secret?.bodyPlaceholders) return undefined;
    const a = await decide(cache, ctx, token);
    if (!plan.uses.some((u) => u.secretId === a.use.secretId && u.binding === a.use.binding)) plan.uses.push(a.use);
    plan.redactions.push(...a.pairs);
    return a.replacement;
  };
}
