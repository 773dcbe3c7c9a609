/**
 * What the CLI prints. Results go to stdout (aligned tables for people, JSON with --json);
 * notes, warnings and errors go to stderr, so `$(standin …)` captures only the result.
 */

// Server-provided text (descriptions, reasons) could hold terminal escape sequences; a listing
// must not be able to rewrite the operator's terminal.
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/g;

/** Text made safe for a terminal: control characters become `?`. */
export function clean(v: unknown): string {
  if (v === null || v === undefined || v === '') return '-';
  return String(v).replace(CONTROL_RE, '?');
}

/** `2025-01-31 12:34:56Z` from an ISO string; `-` for null. */
export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return clean(iso);
  return d.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

const width = (s: string) => [...s].length;
const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - width(s)));

/** An aligned table with a header row; cells are cleaned. */
export function table(headers: string[], rows: unknown[][]): string {
  const cells = rows.map((r) => headers.map((_, i) => clean(r[i])));
  const widths = headers.map((h, i) => Math.max(width(h), ...cells.map((r) => width(r[i] ?? ''))));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : pad(c, widths[i] ?? 0))).join('  ').trimEnd();
  return [line(headers), ...cells.map(line)].join('\n') + '\n';
}

/** `key: value` lines with the keys aligned. */
export function keyValues(pairs: Array<[string, unknown]>): string {
  const w = Math.max(...pairs.map(([k]) => width(k)));
  return pairs.map(([k, v]) => `${pad(k + ':', w + 1)} ${clean(v)}`).join('\n') + '\n';
}

/** A framed block for the one-time display of a credential. */
export function box(lines: string[]): string {
  const w = Math.max(...lines.map(width));
  const bar = '─'.repeat(w + 2);
  return [`┌${bar}┐`, ...lines.map((l) => `│ ${pad(l, w)} │`), `└${bar}┘`].join('\n') + '\n';
}

export function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

export function printJson(v: unknown): void {
  process.stdout.write(JSON.stringify(v, null, 2) + '\n');
}

/** A note for the person at the terminal (stderr). */
export function note(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : text + '\n');
}

export function plural(n: number, word: string, many = word + 's'): string {
  return `${n} ${n === 1 ? word : many}`;
}
