import type { Config } from '../config.js';
import type { Logger } from '../log/logger.js';
import type { Services, Actor } from '../services/index.js';
import type { SessionStore, WebSession } from './sessions.js';
import type { FormFields } from './form.js';

/** What the dashboard needs; main.ts hands these in, tests build their own. */
export interface WebDeps {
  services: Services;
  log: Logger;
  config: Pick<Config, 'sessionTtlSeconds'>;
  /** Milliseconds since the epoch; tests move it forward to expire sessions. */
  now?: () => number;
  /** Where sessions live; a fresh in-memory store (with `now` and the TTL) when left out. */
  sessions?: SessionStore;
}

/** Per-request values the dashboard middleware sets. */
export type WebEnv = {
  Variables: {
    requestId: string;
    /** The signed-in session (null on the public pages). */
    session: WebSession | null;
    /** The raw session id from the cookie, to end it on sign-out. */
    sessionId: string | null;
    actor: Actor;
    /** The parsed form of a POST (CSRF-checked before any handler sees it). */
    form: FormFields;
  };
};
