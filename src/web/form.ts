/** A parsed urlencoded form: every field as a list of strings (files are dropped). */
export class FormFields {
  readonly #fields: Map<string, string[]>;

  constructor(body: Record<string, string | File | Array<string | File>>) {
    this.#fields = new Map();
    for (const [k, v] of Object.entries(body)) {
      const list = (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
      this.#fields.set(k, list);
    }
  }

  /** The first value of a field, or '' when absent. */
  str(name: string): string {
    return this.#fields.get(name)?.[0] ?? '';
  }

  /** The first value trimmed, or undefined when empty. */
  opt(name: string): string | undefined {
    const v = this.str(name).trim();
    return v === '' ? undefined : v;
  }

  all(name: string): string[] {
    return this.#fields.get(name) ?? [];
  }

  has(name: string): boolean {
    return this.#fields.has(name);
  }

  /** A checkbox: present (with any value) means on. */
  bool(name: string): boolean {
    return this.#fields.has(name);
  }
}

/** Host rules typed one per line or separated by commas or spaces. */
export function splitList(text: string): string[] {
  return text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
}

/** `KEY=value` lines (blank lines and `#` comments skipped); the value keeps its spaces. */
export function parseEnvLines(text: string): { env: Record<string, string>; bad: string | null } {
  const env: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return { env, bad: `"${line.slice(0, 40)}" is not KEY=value` };
    env[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return { env, bad: null };
}
