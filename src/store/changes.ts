import { EventEmitter } from 'node:events';
import pg from 'pg';

/** What changed, enough for a cache to drop the right entries. Never carries a value. */
export type Change =
  | { kind: 'secret'; tenantId: string; id: string; name: string }
  | { kind: 'sandbox'; tenantId: string; id: string }
  | { kind: 'api_key'; tenantId: string; id: string }
  | { kind: 'tenant'; tenantId: string };

export type ChangeListener = (c: Change) => void;

const CHANNEL = 'standin_changes';

/**
 * Tells caches that something changed. In-process delivery is immediate; with PostgreSQL, changes
 * also go out through NOTIFY and come in through LISTEN, so a rotation or revocation made on one
 * instance applies on every instance's next request.
 */
export class ChangeBus {
  readonly #emitter = new EventEmitter();
  readonly #origin = Math.random().toString(36).slice(2);
  #listener: pg.Client | null = null;
  #pool: pg.Pool | null = null;

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  subscribe(fn: ChangeListener): () => void {
    this.#emitter.on('change', fn);
    return () => this.#emitter.off('change', fn);
  }

  /** Delivers changes locally and, on PostgreSQL, to the other instances. Call after commit. */
  async publish(changes: Change[]): Promise<void> {
    for (const c of changes) this.#emitter.emit('change', c);
    if (this.#pool && changes.length) {
      await this.#pool.query('select pg_notify($1, $2)', [CHANNEL, JSON.stringify({ o: this.#origin, c: changes })]);
    }
  }

  /** Starts listening to other instances' changes on PostgreSQL. */
  async listen(url: string): Promise<void> {
    this.#pool = new pg.Pool({ connectionString: url, max: 1 });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    client.on('notification', (msg) => {
      if (msg.channel !== CHANNEL || !msg.payload) return;
      try {
        const { o, c } = JSON.parse(msg.payload) as { o: string; c: Change[] };
        if (o === this.#origin) return;
        for (const ch of c) this.#emitter.emit('change', ch);
      } catch {
        // A malformed notification is ignored; caches also expire on their own.
      }
    });
    client.on('error', () => {
      // A lost LISTEN connection means missed invalidations: tell every cache to drop everything.
      this.#emitter.emit('reset');
    });
    await client.query(`LISTEN ${CHANNEL}`);
    this.#listener = client;
  }

  onReset(fn: () => void): () => void {
    this.#emitter.on('reset', fn);
    return () => this.#emitter.off('reset', fn);
  }

  async close(): Promise<void> {
    await this.#listener?.end().catch(() => {});
    await this.#pool?.end().catch(() => {});
    this.#listener = null;
    this.#pool = null;
  }
}
