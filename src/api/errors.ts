import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { StandinError, isStandinError } from '../core/errors.js';
import { httpStatus } from '../core/http-status.js';
import type { Logger } from '../log/logger.js';

/** The error body every API error has: `{ error: { code, message, details?, requestId } }`. */
export function errorBody(e: StandinError, requestId?: string) {
  return { error: { ...e.toJSON(), ...(requestId ? { requestId } : {}) } };
}

/** Turns anything thrown in a handler into the JSON error and status of its code. */
export function toStandinError(err: unknown): StandinError {
  if (isStandinError(err)) return err;
  if (err instanceof HTTPException) {
    if (err.status === 413) return new StandinError('payload_too_large', 'the request body is too large');
    if (err.status === 400) return new StandinError('bad_request', /malformed json/i.test(err.message) ? 'the body is not valid JSON' : err.message || 'bad request');
    if (err.status === 415) return new StandinError('bad_request', 'send the body as application/json');
  }
  // Malformed JSON bodies arrive as HTTPException 400 from the validator. Any other SyntaxError
  // is a bug of ours (an invalid RegExp, a JSON.parse of stored data) and must surface as a 500,
  // not be blamed on the client's body.
  return new StandinError('internal', 'internal error');
}

export function handleError(log: Logger) {
  return (err: unknown, c: Context) => {
    const e = toStandinError(err);
    const requestId = c.get('requestId') as string | undefined;
    if (e.code === 'internal') log.error({ err, requestId }, 'unhandled error');
    const status = httpStatus(e.code);
    if (e.code === 'rate_limited' && e.details?.retryAfter) c.header('Retry-After', String(e.details.retryAfter));
    return c.json(errorBody(e, requestId), status as 400);
  };
}

/** The zod-openapi validation hook: a 400 naming the fields, never echoing their input. */
export function validationHook(result: { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; message: string; code?: string }> } }, c: Context) {
  if (result.success) return;
  const issues = (result.error?.issues ?? []).map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  const first = issues[0];
  const msg = first ? `${first.path || 'body'}: ${first.message}` : 'invalid request';
  const e = new StandinError('validation_failed', msg, { issues });
  return c.json(errorBody(e, c.get('requestId') as string | undefined), 400);
}
