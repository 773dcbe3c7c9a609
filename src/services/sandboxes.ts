import type { Binding, Coordinates, EgressEvent, Page, Sandbox, SecretMeta } from '../core/types.js';
import { StandinError, notFound } from '../core/errors.js';
import { validateEnvName, validateSecretName } from '../core/names.js';
import { resolveSecret } from '../core/scope.js';
import { getProvider } from '../core/providers.js';
import { generatePlaceholder, generateProxyToken, hashToken, randomId } from '../crypto/tokens.js';
import type { NewBinding } from '../store/repos/sandboxes.js';
import type { ServiceDeps } from './deps.js';
import { auditRow, requireScope, type Actor } from './actor.js';
import { normalizeEgressRules } from './host-input.js';
import type { SecretsService } from './secrets.js';

export interface CreateSandboxInput {
  name?: string | null;
  workspaceId?: string | null;
  userId?: string | null;
  externalWorkspace?: string | null;
  externalUser?: string | null;
  sessionId?: string | null;
  /** ENV_NAME → secret name, bound in proxy mode (the env var holds a placeholder). */
  secrets?: Record<string, string>;
  /** Secrets whose real value is injected (env mode): `secret-name` (as its exposeAs) or `ENV=secret-name`. */
  inject?: string[];
  /** Plain, non-secret variables. */
  env?: Record<string, string>;
  egress?: { allowHosts?: string[] | null };
  ephemeral?: boolean;
}

/** Where sandboxes find the proxy and which CA they must trust; supplied by main.ts. */
export interface ProxyInfo {
  /** `http://standin:<token>@host:port` for this sandbox's credential. */
  proxyUrl(token: string): string;
  caCertPem(): string;
}

export interface BindingView {
  envName: string;
  secretName: string;
  mode: Binding['mode'];
  /** Where the secret resolves for this sandbox now, or null when it does not resolve. */
  resolved: { secretId: string; scope: string; scopeRef: string; version: number } | null;
}

export interface CreatedSandbox {
  sandbox: Sandbox;
  bindings: BindingView[];
  /** The environment to give the sandbox: placeholders, injected values, plain vars, proxy vars. */
  env: Record<string, string>;
  proxyUrl: string;
  caCertPem: string;
}

const MAX_PLAIN_ENV = 200;

export const coordinatesOf = (s: Sandbox): Coordinates => ({
  tenantId: s.tenantId, workspaceId: s.workspaceId, userId: s.userId, externalWorkspace: s.externalWorkspace,
  externalUser: s.externalUser, sessionId: s.sessionId, sandboxId: s.id,
});

/** Sandboxes and their bindings. Placeholders and proxy credentials leave only in the create response. */
export class SandboxesService {
  constructor(private readonly d: ServiceDeps, private readonly secrets: SecretsService, private readonly proxy: ProxyInfo) {}

  async create(actor: Actor, input: CreateSandboxInput): Promise<CreatedSandbox> {
    requireScope(actor, 'sandboxes:write');
    // Env mode hands out real values; it needs its own scope so a key given to an agent's
    // machine can create sandboxes without being able to read the secrets it binds.
    if (input.inject?.length) requireScope(actor, 'secrets:inject');
    const id = randomId('sbx_');
    const now = new Date().toISOString();
    const userId = input.userId ?? actor.userId;
    if (userId !== actor.userId && actor.role !== 'admin') throw new StandinError('forbidden', 'only an admin may create sandboxes for another user');
    let workspaceId = input.workspaceId ?? actor.workspaceId ?? null;
    if (workspaceId) {
      const ws = await this.d.store.tenancy.getWorkspace(actor.tenantId, workspaceId);
      if (!ws) throw notFound(`workspace ${JSON.stringify(workspaceId)}`);
      if (actor.workspaceId && ws.id !== actor.workspaceId) throw new StandinError('forbidden', 'this key is limited to another workspace');
      workspaceId = ws.id;
    }
    if (actor.role !== 'admin' && (input.externalWorkspace || input.externalUser || input.sessionId)) {
      // External ids and sessions select secrets planted by the platform; members may not claim them.
      throw new StandinError('forbidden', 'only an admin key may set external ids or a session on a sandbox');
    }
    const allowHosts = input.egress?.allowHosts == null ? null : normalizeEgressRules(input.egress.allowHosts);
    const env = this.#plainEnv(input.env ?? {});
    const sandbox: Sandbox = {
      id, tenantId: actor.tenantId, name: input.name ?? null, workspaceId, userId,
      externalWorkspace: input.externalWorkspace ?? null, externalUser: input.externalUser ?? null, sessionId: input.sessionId ?? null,
      egress: { allowHosts }, env, ephemeral: input.ephemeral ?? false, createdAt: now, createdBy: actor.userId,
    };
    const coords = coordinatesOf(sandbox);

    // Which env name is bound to which secret, in which mode.
    const proxyBindings = new Map<string, string>(Object.entries(input.secrets ?? {}));
    const injected = new Map<string, string>();
    for (const item of input.inject ?? []) {
      const eq = item.indexOf('=');
      const [envName, secretName] = eq > 0 ? [item.slice(0, eq), item.slice(eq + 1)] : [null, item];
      injected.set(secretName, envName ?? '');
    }
    const names = [...new Set([...proxyBindings.values(), ...injected.keys()])];
    for (const n of names) {
      const p = validateSecretName(n);
      if (p) throw new StandinError('validation_failed', p, { field: 'secrets' });
    }
    const candidates = await this.d.store.secrets.byNames(actor.tenantId, names);
    const resolve = (name: string): SecretMeta => {
      const r = resolveSecret(candidates, name, coords);
      if (!r.secret) throw new StandinError('validation_failed', r.reason, { field: 'secrets', secret: name });
      return r.secret;
    };

    const out: Record<string, string> = { ...env };
    const rows: NewBinding[] = [];
    const placeholderFor = new Map<string, string>();
    const bind = (envName: string, secret: SecretMeta) => {
      const p = validateEnvName(envName);
      if (p) throw new StandinError('validation_failed', p, { field: 'secrets', env: envName });
      if (rows.some((r) => r.envName === envName)) throw new StandinError('validation_failed', `${envName} is bound twice`, { field: 'secrets' });
      if (secret.hosts.length === 0) {
        throw new StandinError('validation_failed', `secret "${secret.name}" has no hosts, so its placeholder could never be swapped; give it hosts, or inject it explicitly`, { field: 'secrets', secret: secret.name });
      }
      // A provider prefix (e.g. `sk-`) goes in front of the placeholder so SDKs that check the
      // key's shape accept it; only the canonical `stn_ph_…` part is hashed and scanned for.
      const canonical = generatePlaceholder();
      const prefix = secret.provider ? getProvider(secret.provider)?.placeholderPrefix ?? '' : '';
      const placeholder = prefix + canonical;
      rows.push({ id: randomId('bnd_'), sandboxId: id, tenantId: actor.tenantId, envName, secretName: secret.name, mode: 'proxy', createdAt: now, placeholderHash: hashToken(canonical) });
      placeholderFor.set(envName, placeholder);
      out[envName] = placeholder;
    };
    for (const [envName, name] of proxyBindings) bind(envName, resolve(name));

    // autoBind: secrets marked for every sandbox that sees them, unless their env name is taken.
    for (const s of await this.d.store.secrets.autoBound(actor.tenantId)) {
      if (rows.some((r) => r.envName === s.exposeAs || r.secretName === s.name) || s.hosts.length === 0) continue;
      const r = resolveSecret([s], s.name, coords);
      if (r.secret) bind(s.exposeAs, s);
    }

    const injectedValues: Array<{ env: string; secret: SecretMeta }> = [];
    for (const [name, envName] of injected) {
      const s = resolve(name);
      // Env mode hands the plaintext to the caller. Values are write-only, so only a key that
      // may write this secret (and so could have set the value) may inject it; anyone else binds
      // it in proxy mode, where the sandbox sees a placeholder. Without this, a member key read
      // any admin-written tenant or workspace secret through `inject`.
      await this.secrets.access.assertWritable(actor, { scope: s.scope, ref: s.scopeRef }).catch((e: unknown) => {
        if (e instanceof StandinError && e.code === 'forbidden') {
          throw new StandinError('forbidden', `secret "${s.name}" may be bound (proxy mode) but not injected with this key: injecting reveals its value, which only a key that may write the secret may do`, { field: 'inject', secret: s.name });
        }
        throw e;
      });
      const e = envName || s.exposeAs;
      const p = validateEnvName(e);
      if (p) throw new StandinError('validation_failed', p, { field: 'inject' });
      if (out[e] !== undefined && !(e in env)) throw new StandinError('validation_failed', `${e} is bound twice`, { field: 'inject' });
      rows.push({ id: randomId('bnd_'), sandboxId: id, tenantId: actor.tenantId, envName: e, secretName: s.name, mode: 'env', createdAt: now, placeholderHash: null });
      injectedValues.push({ env: e, secret: s });
    }

    const token = generateProxyToken();
    await this.d.store.transaction(async (tx) => {
      await tx.sandboxes.create(sandbox, hashToken(token), rows);
      await tx.audit.append(auditRow(actor, 'sandboxes.create', id, {
        bindings: rows.map((r) => ({ env: r.envName, secret: r.secretName, mode: r.mode })),
        allowHosts,
      }, 'success', { workspaceId, externalWorkspace: sandbox.externalWorkspace, externalUser: sandbox.externalUser }));
      for (const iv of injectedValues) {
        await tx.audit.append(auditRow(actor, 'secrets.inject', iv.secret.id, { name: iv.secret.name, sandboxId: id, env: iv.env, version: iv.secret.version }));
      }
    });
    // Env mode is a snapshot taken now, by explicit request only (DESIGN.md §1).
    for (const iv of injectedValues) {
      out[iv.env] = (await this.secrets.reveal(actor.tenantId, iv.secret.id, iv.secret.version)).value.reveal();
    }
    const proxyUrl = this.proxy.proxyUrl(token);
    for (const k of ['HTTPS_PROXY', 'HTTP_PROXY', 'https_proxy', 'http_proxy']) out[k] = proxyUrl;
    out.NO_PROXY = '';
    out.no_proxy = '';
    return { sandbox, bindings: await this.#views(sandbox, rows), env: out, proxyUrl, caCertPem: this.proxy.caCertPem() };
  }

  async get(actor: Actor, id: string): Promise<{ sandbox: Sandbox; bindings: BindingView[] }> {
    requireScope(actor, 'sandboxes:read');
    const sandbox = await this.#visible(actor, id);
    return { sandbox, bindings: await this.#views(sandbox, await this.d.store.sandboxes.bindings(id)) };
  }

  async list(actor: Actor, opts: { cursor?: string | null; limit?: number }): Promise<Page<Sandbox>> {
    requireScope(actor, 'sandboxes:read');
    const filter = actor.role === 'admin' ? { workspaceId: actor.workspaceId ?? undefined } : { userId: actor.userId };
    return this.d.store.sandboxes.list(actor.tenantId, { ...filter, ...opts });
  }

  async delete(actor: Actor, id: string): Promise<void> {
    requireScope(actor, 'sandboxes:write');
    await this.#visible(actor, id);
    await this.d.store.transaction(async (tx) => {
      await tx.sandboxes.delete(actor.tenantId, id);
      await tx.audit.append(auditRow(actor, 'sandboxes.delete', id));
      tx.changed({ kind: 'sandbox', tenantId: actor.tenantId, id });
    });
  }

  async egress(actor: Actor, id: string, opts: { cursor?: string | null; limit?: number; decision?: string }): Promise<Page<EgressEvent>> {
    requireScope(actor, 'sandboxes:read');
    await this.#visible(actor, id);
    return this.d.store.egress.bySandbox(actor.tenantId, id, opts);
  }

  async #visible(actor: Actor, id: string): Promise<Sandbox> {
    const s = await this.d.store.sandboxes.get(actor.tenantId, id);
    const ok = s && (actor.role === 'admin' ? !actor.workspaceId || s.workspaceId === actor.workspaceId : s.userId === actor.userId || s.createdBy === actor.userId);
    if (!s || !ok) throw notFound(`sandbox ${JSON.stringify(id)}`);
    return s;
  }

  async #views(sandbox: Sandbox, bindings: Array<Pick<Binding, 'envName' | 'secretName' | 'mode'>>): Promise<BindingView[]> {
    const candidates = await this.d.store.secrets.byNames(sandbox.tenantId, [...new Set(bindings.map((b) => b.secretName))]);
    const coords = coordinatesOf(sandbox);
    return bindings.map((b) => {
      const r = resolveSecret(candidates, b.secretName, coords);
      return {
        envName: b.envName, secretName: b.secretName, mode: b.mode,
        resolved: r.secret ? { secretId: r.secret.id, scope: r.scope, scopeRef: r.scopeRef, version: r.secret.version } : null,
      };
    });
  }

  #plainEnv(env: Record<string, string>): Record<string, string> {
    const entries = Object.entries(env);
    if (entries.length > MAX_PLAIN_ENV) throw new StandinError('validation_failed', `at most ${MAX_PLAIN_ENV} plain env vars`, { field: 'env' });
    for (const [k, v] of entries) {
      const p = validateEnvName(k);
      if (p) throw new StandinError('validation_failed', p, { field: 'env' });
      if (typeof v !== 'string' || /[\0]/.test(v) || v.length > 32_768) throw new StandinError('validation_failed', `env ${k}: the value must be a string without NUL, at most 32 KiB`, { field: 'env' });
    }
    return Object.fromEntries(entries);
  }
}
