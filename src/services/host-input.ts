import { StandinError } from '../core/errors.js';
import { formatHostRule, normalizeHostRuleText, parseHostRule } from '../core/hosts.js';

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

/**
 * A sandbox egress allow-list in canonical text. Unlike a secret's hosts, an explicit `:443`
 * is kept: without a port an egress rule allows 443 and 80 (core/hosts.ts compileEgressRules).
 */
export function normalizeEgressRules(hosts: unknown): string[] {
  if (!Array.isArray(hosts)) throw new StandinError('validation_failed', 'allowHosts must be a list of host rules', { field: 'allowHosts' });
  if (hosts.length > 100) throw new StandinError('validation_failed', 'at most 100 host rules per egress policy', { field: 'allowHosts' });
  const out = new Set<string>();
  for (const h of hosts) {
    const r = normalizeHostRuleText(String(h));
    if (!r.ok) throw new StandinError('validation_failed', r.reason, { field: 'allowHosts' });
    out.add(r.text);
  }
  return [...out];
}
