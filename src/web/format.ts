/** Text helpers for the pages. Pure; every result is rendered through hono/jsx escaping. */

/** `2024-05-01 12:34 UTC` */
export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `just now`, `5 min ago`, `3 h ago`, `2 days ago`, or the date for older times. */
export function relTime(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.round((now - t) / 1000);
  if (s < 0) return fmtTime(iso);
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  if (s < 30 * 86_400) {
    const d = Math.round(s / 86_400);
    return d === 1 ? 'yesterday' : `${d} days ago`;
  }
  return fmtTime(iso).slice(0, 10);
}

/** A scope with the id inside it: `tenant`, `workspace wsp_…`, `user usr_…`. */
export function scopeLabel(scope: string, ref: string | null | undefined): string {
  return ref ? `${scope} ${ref}` : scope;
}

/** A query string from the non-empty params (`?a=1&b=2`, or '' when none). */
export function qs(params: Record<string, string | null | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) u.set(k, v);
  const s = u.toString();
  return s ? `?${s}` : '';
}

/** `datetime-local` input (no zone, read as UTC) → ISO, or undefined when empty or invalid. */
export function fromLocalInput(v: string | undefined): string | undefined {
  if (!v) return undefined;
  const t = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(v) ? v : `${v}Z`);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
