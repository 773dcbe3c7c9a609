import { StandinError } from '../core/errors.js';
import { formatHostRule, normalizeHostRuleText, parseHostRule } from '../core/hosts.js';

const MAX_RULES = 100;

type Canonical = (raw: string) => { ok: true; text: string } | { ok: false; reason: string };

/** Checks a user-supplied list and maps each rule to its canonical text; a 400 names the bad one. */
function canonicalList(hosts: unknown, field: string, what: string, canonical: Canonical): string[] {
  if (!Array.isArray(hosts)) throw new StandinError('validation_failed', `${field} must be a list of host rules`, { field });
  if (hosts.length > MAX_RULES) throw new StandinError('validation_failed', `at most ${MAX_RULES} host rules per ${what}`, { field });
  const out = new Set<string>();
  for (const h of hosts) {
    const r = canonical(String(h));
    if (!r.ok) throw new StandinError('validation_failed', r.reason, { field });
    out.add(r.text);
  }
  return [...out];
}

/** A secret's hosts in canonical text (the default port 443 is left implicit). */
export function normalizeHostRules(hosts: unknown): string[] {
  return canonicalList(hosts, 'hosts', 'secret', (raw) => {
    const r = parseHostRule(raw);
    return r.ok ? { ok: true, text: formatHostRule(r.rule) } : r;
  });
}

/**
 * A sandbox egress allow-list in canonical text. Unlike a secret's hosts, an explicit `:443`
 * is kept: without a port an egress rule allows 443 and 80 (core/hosts.ts compileEgressRules).
 */
export function normalizeEgressRules(hosts: unknown): string[] {
  return canonicalList(hosts, 'allowHosts', 'egress policy', normalizeHostRuleText);
}
