import { EventEmitter } from 'node:events';
import pg from 'pg';

/** What changed, enough for a cache to drop the right entries. Never carries a value. */
export type Change =
  | { kind: 'secret'; tenantId: string; id: string; name: string }
  | { kind: 'sandbox'; tenantId: string; id: string }
  | { kind: 'api_key'; tenantId: string; id: string }
  | { kind: 'tenant'; tenantId: string };

export type ChangeListener = (c: Change) => void;

export const CHANGE_CHANNEL = 'standin_changes';

// PostgreSQL refuses a NOTIFY payload of 8000 bytes or more ("payload string too long"); a
// transaction with more changes than fit tells the other instances to drop everything instead.
const MAX_PAYLOAD_BYTES = 7900;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5000;

interface Envelope {
  o: string;
  c?: Change[];
  reset?: true;
}

/**
 * Tells caches that something changed. In-process delivery is immediate; with PostgreSQL, changes
 * also go out through NOTIFY and come in through LISTEN, so a rotation or revocation made on one
 * instance applies on every instance's next request. A lost LISTEN connection is re-established
 * with back-off, and every cache is told to reset because invalidations may have been missed.
 */
export class ChangeBus {
  readonly #emitter = new EventEmitter();
  readonly #origin = Math.random().toString(36).slice(2);
  #url: string | null = null;
  #listener: pg.Client | null = null;
  #pool: pg.Pool | null = null;
  #retry: NodeJS.Timeout | null = null;
  #closed = false;

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  subscribe(fn: ChangeListener): () => void {
    this.#emitter.on('change', fn);
    return () => this.#emitter.off('change', fn);
  }

  onReset(fn: () => void): () => void {
    this.#emitter.on('reset', fn);
    return () => this.#emitter.off('reset', fn);
  }

  /**
   * The NOTIFY payload that announces `changes` to the other instances, or null when there is
   * nobody to tell (SQLite, or not listening). `Store.transaction` sends it inside the
   * transaction, so PostgreSQL delivers it exactly when the transaction commits.
   */
  remotePayload(changes: Change[]): string | null {
    if (!this.#url || changes.length === 0) return null;
    const full = JSON.stringify({ o: this.#origin, c: changes } satisfies Envelope);
    if (Buffer.byteLength(full) < MAX_PAYLOAD_BYTES) return full;
    return JSON.stringify({ o: this.#origin, reset: true } satisfies Envelope);
  }

  /** Delivers changes to this instance's subscribers. */
  deliverLocal(changes: Change[]): void {
    for (const c of changes) this.#emitter.emit('change', c);
  }

  /**
   * Delivers changes locally and, on PostgreSQL, to the other instances. For changes made outside
   * `Store.transaction` (which announces its own); call after the change is committed.
   */
  async publish(changes: Change[]): Promise<void> {
    this.deliverLocal(changes);
    const payload = this.remotePayload(changes);
    if (payload && this.#pool) await this.#pool.query('select pg_notify($1, $2)', [CHANGE_CHANNEL, payload]);
  }

  /** Starts listening to other instances' changes on PostgreSQL. */
  async listen(url: string): Promise<void> {
    this.#url = url;
    this.#pool = new pg.Pool({ connectionString: url, max: 1 });
    this.#pool.on('error', () => {}); // an idle client died; the pool replaces it on next use
    this.#listener = await this.#connect();
  }

  async #connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.#url ?? undefined });
    client.on('notification', (msg) => {
      if (msg.channel !== CHANGE_CHANNEL || !msg.payload) return;
      try {
        const env = JSON.parse(msg.payload) as Envelope;
        if (env.o === this.#origin) return;
        if (env.reset) this.#emitter.emit('reset');
        for (const ch of env.c ?? []) this.#emitter.emit('change', ch);
      } catch {
        // A malformed notification is ignored; caches also expire on their own.
      }
    });
    const lost = () => this.#lost(client);
    client.on('error', lost);
    client.on('end', lost);
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (e) {
      await client.end().catch(() => {});
      throw e;
    }
    return client;
  }

  #lost(client: pg.Client): void {
    if (this.#listener !== client) return;
    this.#listener = null;
    void client.end().catch(() => {});
    // Invalidations sent while nobody listened are gone: every cache must drop everything.
    this.#emitter.emit('reset');
    this.#reconnect(RECONNECT_MIN_MS);
  }

  #reconnect(delay: number): void {
    if (this.#closed) return;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.#connect().then(
        (client) => {
          if (this.#closed) {
            void client.end().catch(() => {});
            return;
          }
          this.#listener = client;
          // Changes announced between the loss and now were missed as well.
          this.#emitter.emit('reset');
        },
        () => this.#reconnect(Math.min(delay * 2, RECONNECT_MAX_MS)),
      );
    }, delay);
    this.#retry.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = null;
    const listener = this.#listener;
    this.#listener = null;
    await listener?.end().catch(() => {});
    await this.#pool?.end().catch(() => {});
    this.#pool = null;
  }
}
