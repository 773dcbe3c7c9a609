/**
 * The proxy's records (DESIGN.md §2.9, §6 step 6): one egress event per request, a tripwire
 * audit row per blocked placeholder, usage audit rows for swaps, and `lastUsedAt` of the secrets
 * used. Written in batches (every 200 ms or 500 events) so the request path never waits on the
 * database; when the queue is full, new requests wait for room instead of events being dropped.
 * A batch is written in transactions of at most 100 events, with a turn of the event loop between
 * them: better-sqlite3 is synchronous, and one transaction of 500 events held every socket of the
 * proxy still for ~10 ms (≈ 25 µs per event), which requests in flight paid as latency.
 *
 * Usage rows are coalesced per batch: identical uses (same sandbox, binding, secret version and
 * host) within one flush become one `secrets.use` row with a `count`, because the audit chain is
 * appended row by row and one row per request would make the audit log the proxy's bottleneck.
 * The per-request detail is in the egress events.
 */
import type { EgressEvent, Sandbox } from '../core/types.js';
import type { NewAuditEvent } from '../store/repos/audit.js';
import type { Tx } from '../store/store.js';
import type { Logger } from '../log/logger.js';
import { randomId } from '../crypto/tokens.js';
import type { SwapUse } from './swap.js';

export interface EgressRecord extends EgressEvent {
  secretIds: string[];
}

/** What the writer needs from the store. */
export interface EventStore {
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
}

export interface EventWriterOptions {
  flushMs?: number;
  /** Queued events that trigger a flush at once. Default 500. */
  batchSize?: number;
  /** Most events per transaction; the event loop runs between transactions. Default 100. */
  chunkSize?: number;
  /** Queued events beyond which requests wait. Default 20,000. */
  maxQueue?: number;
  /** How often `lastUsedAt` is written. Default 5 s. */
  touchEveryMs?: number;
}

interface Usage {
  key: string;
  row: NewAuditEvent;
  count: number;
  lastAt: string;
}

const actorOf = (sandboxId: string): string => `sandbox:${sandboxId}`;

/** The tripwire row for a blocked placeholder (§2.4). `details` is value-free by construction. */
export function tripwireRow(sandbox: Sandbox, requestId: string, at: string, details: Record<string, unknown>): NewAuditEvent {
  return {
    id: randomId('aud_'), tenantId: sandbox.tenantId, at, requestId, apiKeyId: null, actor: actorOf(sandbox.id),
    workspaceId: sandbox.workspaceId, externalWorkspace: sandbox.externalWorkspace, externalUser: sandbox.externalUser,
    action: 'proxy.tripwire', target: sandbox.id, outcome: 'denied', details,
  };
}

export class EventWriter {
  readonly #store: EventStore;
  readonly #log: Logger;
  readonly #flushMs: number;
  readonly #batch: number;
  readonly #chunk: number;
  readonly #max: number;
  readonly #touchEveryMs: number;
  #events: EgressRecord[] = [];
  #audits: NewAuditEvent[] = [];
  #usage = new Map<string, Usage>();
  #touch = new Set<string>();
  #lastTouch = 0;
  #timer: NodeJS.Timeout | null = null;
  #due = 0;
  #flushing: Promise<void> | null = null;
  #waiters: Array<() => void> = [];
  #failures = 0;
  #closed = false;

  constructor(store: EventStore, log: Logger, opts: EventWriterOptions = {}) {
    this.#store = store;
    this.#log = log;
    this.#flushMs = opts.flushMs ?? 200;
    this.#batch = opts.batchSize ?? 500;
    this.#chunk = Math.min(opts.chunkSize ?? 100, this.#batch);
    this.#max = opts.maxQueue ?? 20_000;
    this.#touchEveryMs = opts.touchEveryMs ?? 5_000;
  }

  get pending(): number {
    return this.#events.length + this.#audits.length;
  }

  /** Null when there is room; otherwise a promise that resolves once a flush made room. */
  ready(): Promise<void> | null {
    if (this.pending < this.#max) return null;
    this.#schedule(0);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Queues one request's records. */
  record(event: EgressRecord, uses: readonly SwapUse[], sandbox: Sandbox, tripwire: NewAuditEvent | null): void {
    this.#events.push(event);
    if (tripwire) this.#audits.push(tripwire);
    for (const u of uses) {
      this.#touch.add(u.secretId);
      const key = `${sandbox.id}\n${u.binding}\n${u.secretId}\n${u.version}\n${event.host}:${event.port}`;
      const hit = this.#usage.get(key);
      if (hit) {
        hit.count++;
        hit.lastAt = event.at;
        continue;
      }
      this.#usage.set(key, {
        key,
        count: 1,
        lastAt: event.at,
        row: {
          id: '', tenantId: sandbox.tenantId, at: event.at, requestId: null, apiKeyId: null, actor: actorOf(sandbox.id),
          workspaceId: sandbox.workspaceId, externalWorkspace: sandbox.externalWorkspace, externalUser: sandbox.externalUser,
          action: 'secrets.use', target: u.secretId, outcome: 'success',
          details: { sandboxId: sandbox.id, binding: u.binding, secret: u.secret, version: u.version, host: `${event.host}:${event.port}` },
        },
      });
    }
    if (this.#events.length >= this.#batch) this.#schedule(0);
    else this.#schedule(this.#flushMs);
  }

  #schedule(ms: number): void {
    if (this.#closed && ms > 0) return;
    const due = Date.now() + ms;
    if (this.#timer) {
      if (due >= this.#due) return; // an earlier flush is already planned
      clearTimeout(this.#timer);
    }
    this.#due = due;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.flush();
    }, ms);
    this.#timer.unref();
  }

  /** Writes everything queued (in batches). Concurrent calls share the running flush. */
  flush(): Promise<void> {
    this.#flushing ??= this.#drain().finally(() => {
      this.#flushing = null;
    });
    return this.#flushing;
  }

  async #drain(): Promise<void> {
    let first = true;
    while (this.#events.length || this.#audits.length || this.#usage.size || (this.#touch.size && this.#touchDue())) {
      // Sockets get their turn between two transactions (see the module comment).
      if (!first) await new Promise((resolve) => setImmediate(resolve));
      first = false;
      const events = this.#events.splice(0, this.#chunk);
      const audits = this.#audits.splice(0, this.#chunk);
      // Usage rows go with the last chunk, so uses recorded meanwhile still coalesce into them.
      const usage = this.#events.length === 0 ? [...this.#usage.values()] : [];
      if (usage.length) this.#usage.clear();
      const touch = this.#touchDue() ? [...this.#touch] : [];
      if (touch.length) this.#touch.clear();
      try {
        await this.#store.transaction(async (tx) => {
          if (events.length) await tx.egress.insertBatch(events);
          for (const a of audits) await tx.audit.append(a);
          for (const u of usage) {
            await tx.audit.append({ ...u.row, id: randomId('aud_'), details: { ...u.row.details, count: u.count, firstAt: u.row.at, lastAt: u.lastAt } });
          }
          if (touch.length) await tx.secrets.touch(touch, new Date().toISOString());
        });
        if (touch.length) this.#lastTouch = Date.now();
        this.#failures = 0;
      } catch (err) {
        // Put everything back in front and retry later: backpressure, not loss.
        this.#events = events.concat(this.#events);
        this.#audits = audits.concat(this.#audits);
        for (const u of usage) {
          const now = this.#usage.get(u.key);
          if (now) {
            now.count += u.count;
            now.row = { ...now.row, at: u.row.at };
          } else this.#usage.set(u.key, u);
        }
        for (const id of touch) this.#touch.add(id);
        this.#failures++;
        this.#log.error({ err: { message: (err as Error).message }, pending: this.pending }, 'proxy event write failed; retrying');
        if (this.#closed && this.#failures >= 3) return;
        this.#schedule(Math.min(5_000, 100 * 2 ** this.#failures));
        return;
      } finally {
        this.#wake();
      }
    }
    // lastUsedAt still owed after traffic stopped
    if (this.#touch.size && !this.#closed) this.#schedule(this.#touchEveryMs);
  }

  #touchDue(): boolean {
    return this.#closed || Date.now() - this.#lastTouch >= this.#touchEveryMs;
  }

  #wake(): void {
    if (this.pending >= this.#max) return;
    const w = this.#waiters;
    this.#waiters = [];
    for (const fn of w) fn();
  }

  /** Flushes everything, `lastUsedAt` included; gives up after three failed attempts in a row. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    for (let i = 0; i < 5 && (this.pending || this.#usage.size || this.#touch.size); i++) {
      await this.flush();
      if (this.#failures >= 3) break;
    }
    const w = this.#waiters;
    this.#waiters = [];
    for (const fn of w) fn();
  }
}
