/**
 * The lookups behind every swap decision, cached so a request costs map hits (DESIGN.md §6
 * step 4): placeholder hash → binding, (sandbox, secret name) → the secret that resolves by scope,
 * (secret, version) → decrypted value. Changes on the store's bus drop exactly the entries they
 * affect, so a rotation, a deletion or a new secret at a more specific scope applies on the next
 * request; a lost notification channel drops everything.
 *
 * Entries hold promises, stored before the database is asked, so concurrent misses share one
 * query. A load that raced a change answers its own request but is not kept.
 */
import type { Binding, Sandbox, SecretMeta } from '../core/types.js';
import type { SecretValue } from '../core/secret-value.js';
import { resolveSecret } from '../core/scope.js';
import { coordinatesOf } from '../services/sandboxes.js';
import type { Change } from '../store/changes.js';
import { hashToken, tokenHashEquals } from '../crypto/tokens.js';

/** A decrypted version of a secret. Lives only in this cache and the request that uses it. */
export interface SecretMaterial {
  version: number;
  value: SecretValue;
  username: SecretValue | null;
}

/** The narrow store and service surface the cache reads. */
export interface SwapCacheDeps {
  store: {
    sandboxes: {
      bindingByPlaceholderHash(hash: string): Promise<{ binding: Binding; hash: string } | null>;
      bindings(sandboxId: string): Promise<Binding[]>;
    };
    secrets: { byNames(tenantId: string, names: string[]): Promise<SecretMeta[]> };
  };
  reveal(tenantId: string, secretId: string, version: number): Promise<{ value: SecretValue; username: SecretValue | null }>;
}

export interface SwapCacheOptions {
  /** Placeholder hashes kept (hits and misses). Default 200,000. */
  maxBindings?: number;
  /** Decrypted secrets kept. Default 10,000. */
  maxValues?: number;
}

type Loader<V> = () => Promise<V>;

/** Bounded map of promises; the oldest entry goes first (insertion order). */
class PromiseMap<K, V> {
  readonly map = new Map<K, Promise<V>>();
  constructor(private readonly max: number) {}

  get(key: K, load: Loader<V>, generation: () => number, onValue?: (v: V) => void): Promise<V> {
    const hit = this.map.get(key);
    if (hit) return hit;
    const g = generation();
    const p: Promise<V> = load().then(
      (v) => {
        if (generation() !== g) {
          if (this.map.get(key) === p) this.map.delete(key);
        } else if (this.map.get(key) === p) {
          onValue?.(v);
        }
        return v;
      },
      (e: unknown) => {
        if (this.map.get(key) === p) this.map.delete(key);
        throw e;
      },
    );
    this.map.set(key, p);
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value as K);
    return p;
  }
}

export class SwapCache {
  readonly #d: SwapCacheDeps;
  /** Keyed by the placeholder itself: a hit costs no hashing. */
  readonly #bindings: PromiseMap<string, Binding | null>;
  /** sandbox id → placeholders cached for it, to drop them when the sandbox goes. */
  readonly #bindingsBySandbox = new Map<string, Set<string>>();
  /** tenant → secret name → sandbox id → resolution. */
  readonly #resolved = new Map<string, Map<string, Map<string, Promise<SecretMeta | null>>>>();
  readonly #values: PromiseMap<string, SecretMaterial>;
  /** sandbox id → whether any of its bindings opts into body placeholders. */
  readonly #bodyScan = new Map<string, Promise<boolean>>();
  #generation = 0;
  readonly #gen = (): number => this.#generation;

  constructor(deps: SwapCacheDeps, opts: SwapCacheOptions = {}) {
    this.#d = deps;
    this.#bindings = new PromiseMap(opts.maxBindings ?? 200_000);
    this.#values = new PromiseMap(opts.maxValues ?? 10_000);
  }

  /** The binding whose placeholder is `token` (a canonical `stn_ph_…`), or null. */
  binding(token: string): Promise<Binding | null> {
    return this.#bindings.get(
      token,
      async () => {
        const hash = hashToken(token);
        const row = await this.#d.store.sandboxes.bindingByPlaceholderHash(hash);
        return row && row.binding.mode === 'proxy' && tokenHashEquals(row.hash, hash) ? row.binding : null;
      },
      this.#gen,
      (b) => {
        if (!b) return;
        let set = this.#bindingsBySandbox.get(b.sandboxId);
        if (!set) this.#bindingsBySandbox.set(b.sandboxId, (set = new Set()));
        set.add(token);
      },
    );
  }

  /** The secret named `name` that `sandbox` sees now (scope resolution, DESIGN.md §4), or null. */
  secretFor(sandbox: Sandbox, name: string): Promise<SecretMeta | null> {
    let byName = this.#resolved.get(sandbox.tenantId);
    if (!byName) this.#resolved.set(sandbox.tenantId, (byName = new Map()));
    let bySandbox = byName.get(name);
    if (!bySandbox) byName.set(name, (bySandbox = new Map()));
    const hit = bySandbox.get(sandbox.id);
    if (hit) return hit;
    const map = bySandbox;
    const g = this.#generation;
    const p = this.#d.store.secrets.byNames(sandbox.tenantId, [name]).then(
      (candidates) => {
        if (g !== this.#generation && map.get(sandbox.id) === p) map.delete(sandbox.id);
        return resolveSecret(candidates, name, coordinatesOf(sandbox)).secret;
      },
      (e: unknown) => {
        if (map.get(sandbox.id) === p) map.delete(sandbox.id);
        throw e;
      },
    );
    map.set(sandbox.id, p);
    return p;
  }

  /** The decrypted current version of `secret` (as resolved). */
  material(secret: SecretMeta): Promise<SecretMaterial> {
    return this.#values.get(
      `${secret.id}\n${secret.version}`,
      async () => {
        const r = await this.#d.reveal(secret.tenantId, secret.id, secret.version);
        return { version: secret.version, value: r.value, username: r.username };
      },
      this.#gen,
    );
  }

  /**
   * Whether request bodies of this sandbox are scanned at all: only when one of its bindings
   * resolves to a secret with `bodyPlaceholders`. Everything else skips body work entirely.
   */
  bodyScan(sandbox: Sandbox): Promise<boolean> {
    const hit = this.#bodyScan.get(sandbox.id);
    if (hit) return hit;
    const g = this.#generation;
    const p = (async () => {
      const names = [...new Set((await this.#d.store.sandboxes.bindings(sandbox.id)).filter((b) => b.mode === 'proxy').map((b) => b.secretName))];
      const secrets = await Promise.all(names.map((n) => this.secretFor(sandbox, n)));
      return secrets.some((s) => s?.bodyPlaceholders === true);
    })().then(
      (v) => {
        if (g !== this.#generation && this.#bodyScan.get(sandbox.id) === p) this.#bodyScan.delete(sandbox.id);
        return v;
      },
      (e: unknown) => {
        if (this.#bodyScan.get(sandbox.id) === p) this.#bodyScan.delete(sandbox.id);
        throw e;
      },
    );
    this.#bodyScan.set(sandbox.id, p);
    return p;
  }

  /** Applies a change from the store's bus: drops what it affects. */
  onChange(c: Change): void {
    this.#generation++;
    switch (c.kind) {
      case 'secret': {
        // Rotation, update, deletion, or a new secret that may shadow another by scope.
        this.#resolved.get(c.tenantId)?.delete(c.name);
        for (const key of this.#values.map.keys()) if (key.startsWith(`${c.id}\n`)) this.#values.map.delete(key);
        this.#bodyScan.clear();
        break;
      }
      case 'sandbox': {
        for (const token of this.#bindingsBySandbox.get(c.id) ?? []) this.#bindings.map.delete(token);
        this.#bindingsBySandbox.delete(c.id);
        for (const bySandbox of this.#resolved.get(c.tenantId)?.values() ?? []) bySandbox.delete(c.id);
        this.#bodyScan.delete(c.id);
        break;
      }
      case 'tenant':
        this.reset();
        break;
      case 'api_key':
        break;
    }
  }

  /** Drops everything. */
  reset(): void {
    this.#generation++;
    this.#bindings.map.clear();
    this.#bindingsBySandbox.clear();
    this.#resolved.clear();
    this.#values.map.clear();
    this.#bodyScan.clear();
  }
}
