import { StandinError } from '../core/errors.js';
import { formatHostRule, parseHostRule } from '../core/hosts.js';

/** Parses user-supplied host rules into their canonical text, or throws a 400 naming the bad one. */
export function normalizeHostRules(hosts: unknown): string[] {
  if (!Array.isArray(hosts)) throw new StandinError('validation_failed', 'hosts must be a list of host rules', { field: 'hosts' });
  if (hosts.length > 100) throw new StandinError('validation_failed', 'at most 100 host rules per secret', { field: 'hosts' });
  const out = new Set<string>();
  for (const h of hosts) {
    const r = parseHostRule(String(h));
    if (!r.ok) throw new StandinError('validation_failed', r.reason, { field: 'hosts' });
    out.add(formatHostRule(r.rule));
  }
  return [...out];
}
