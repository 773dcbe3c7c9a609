import type { Actor } from '../services/actor.js';

/** Per-request values the middlewares set for the handlers. */
export type ApiEnv = {
  Variables: {
    requestId: string;
    actor: Actor;
  };
};
