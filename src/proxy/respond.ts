import type { ServerResponse } from 'node:http';
import type { ErrorCode } from '../core/errors.js';
import { httpStatus } from '../core/http-status.js';

/**
 * Answers a proxied request with the standard error body `{ "error": { "code", "message" } }`
 * and the status core/http-status.ts maps the code to. Messages come from core decisions and
 * name hosts, secrets and env names, never values or whole placeholders. When the client is
 * still sending a body we will not read, the connection is closed after the answer, so the
 * unread bytes cannot be parsed as a next request (RFC 9112 §9.3).
 */
export function sendError(res: ServerResponse, code: ErrorCode, message: string, extraHeaders: Record<string, string> = {}): number {
  const status = httpStatus(code);
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return status;
  }
  const body = JSON.stringify({ error: { code, message } });
  const req = res.req;
  const unread = req !== undefined && !req.complete;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    ...(unread ? { connection: 'close' } : {}),
    ...extraHeaders,
  });
  res.end(body);
  return status;
}

/** A placeholder shortened for messages and logs: enough to recognise, useless to use. */
export function shortPlaceholder(token: string): string {
  return `${token.slice(0, 9)}…`;
}
