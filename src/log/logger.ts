import pino, { type Logger } from 'pino';
import type { Scrubber } from './scrubber.js';

export type { Logger };

/** Field paths that may hold credentials; pino replaces them before serialising. */
export const REDACT_PATHS = [
  'value', '*.value', 'password', '*.password', 'apiKey', '*.apiKey', 'token', '*.token',
  'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization',
  'headers["proxy-authorization"]', '*.headers["proxy-authorization"]', 'headers.cookie', '*.headers.cookie',
  'headers["x-api-key"]', '*.headers["x-api-key"]',
];

/** JSON logs with redaction paths and, as a last line of defence, the value scrubber on every line. */
export function createLogger(opts: { level: string; scrubber: Scrubber; destination?: pino.DestinationStream }): Logger {
  const { scrubber } = opts;
  return pino(
    {
      level: opts.level,
      base: { service: 'standin' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      hooks: { streamWrite: (line: string) => scrubber.scrub(line) },
    },
    opts.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
