import { StandinError, notFound } from '../core/errors.js';
import { getProvider, listProviders } from '../core/providers.js';
import { defaultExposeAs, validateEnvName, validateSecretName } from '../core/names.js';
import { normalizeHostRules } from './host-input.js';
import type { SecretMeta } from '../core/types.js';
import type { ServiceDeps } from './deps.js';
import { requireScope, type Actor } from './actor.js';
import { checkValue, type SecretsService } from './secrets.js';

/** A session secret: a bare value, or a value with its hosts / provider / env name. */
export type SessionSecretInput = string | { value: string; hosts?: string[]; provider?: string; exposeAs?: string };

const MAX_PER_CALL = 100;

/**
 * The session-scoped form used by platforms that run one sandbox per agent session: a map of
 * NAME → value, upserted. A plain string value takes its hosts from a wider secret of the same
 * name (a session override of a workspace key), or from the provider whose env name it is.
 */
export class SessionSecretsService {
  constructor(private readonly d: ServiceDeps, private readonly secrets: SecretsService) {}

  async set(actor: Actor, sessionId: string, body: Record<string, SessionSecretInput>): Promise<SecretMeta[]> {
    requireScope(actor, 'secrets:write');
    this.#checkSession(sessionId);
    const entries = Object.entries(body ?? {});
    if (entries.length === 0) throw new StandinError('validation_failed', 'send at least one NAME: value pair');
    if (entries.length > MAX_PER_CALL) throw new StandinError('validation_failed', `at most ${MAX_PER_CALL} secrets per call`);
    // Every entry is checked before any is written: each one is stored in its own transaction,
    // so a bad entry found midway would answer 400 while the entries before it stayed stored.
    const items = entries.map(([name, raw]) => [name, this.#check(name, raw)] as const);
    const out: SecretMeta[] = [];
    for (const [name, item] of items) {
      let { hosts, provider } = item;
      if (!hosts && !provider) {
        const wider = (await this.d.store.secrets.byName(actor.tenantId, name)).find((s) => s.scope !== 'session' && s.hosts.length);
        if (wider) {
          hosts = wider.hosts;
          provider = wider.provider ?? undefined;
        } else {
          provider = listProviders().find((p) => p.exposeAs === name)?.id;
        }
      }
      const { secret } = await this.secrets.create(actor, {
        name, value: item.value, hosts, provider, exposeAs: item.exposeAs, scope: 'session', scopeId: sessionId, ifExists: 'rotate',
      });
      out.push(secret);
    }
    return out;
  }

  async list(actor: Actor, sessionId: string): Promise<Array<{ name: string; version: number; createdAt: string; updatedAt: string }>> {
    requireScope(actor, 'secrets:read');
    this.#checkSession(sessionId);
    if (actor.role !== 'admin') throw notFound(`session ${JSON.stringify(sessionId)}`);
    const page = await this.d.store.secrets.list(actor.tenantId, { scope: 'session', visible: [{ scope: 'session', ref: sessionId }], limit: 200 });
    return page.data.map((s) => ({ name: s.name, version: s.version, createdAt: s.createdAt, updatedAt: s.updatedAt }));
  }

  async delete(actor: Actor, sessionId: string, name: string): Promise<void> {
    this.#checkSession(sessionId);
    await this.secrets.delete(actor, name, { scope: 'session', scopeId: sessionId });
  }

  #check(name: string, raw: SessionSecretInput): Exclude<SessionSecretInput, string> {
    const item = typeof raw === 'string' ? { value: raw } : raw;
    const fail = (code: 'validation_failed' | 'invalid_value', why: string): never => {
      throw new StandinError(code, `${name}: ${why}`, { field: name });
    };
    if (!item || typeof item.value !== 'string') fail('invalid_value', 'value must be a string');
    const nameProblem = validateSecretName(name);
    if (nameProblem) fail('validation_failed', nameProblem);
    checkValue(item.value, name);
    if (item.hosts !== undefined) normalizeHostRules(item.hosts);
    if (item.provider && !getProvider(item.provider)) fail('validation_failed', `unknown provider "${item.provider}"; GET /v1/providers lists them`);
    const envProblem = validateEnvName(item.exposeAs ?? defaultExposeAs(name));
    if (envProblem) fail('validation_failed', `exposeAs: ${envProblem}`);
    return item;
  }

  #checkSession(sessionId: string): void {
    if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(sessionId)) {
      throw new StandinError('validation_failed', 'a session id is 1–128 letters, digits, ".", "_", ":" or "-"', { field: 'sessionId' });
    }
  }
}
