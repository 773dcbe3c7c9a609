/**
 * A small, strict `.env` parser for `standin secrets import`. Supported:
 *
 *   # comment lines and blank lines
 *   KEY=value                 unquoted: trimmed; ` #…` after whitespace is a comment
 *   export KEY=value          the `export ` prefix is ignored
 *   KEY="a \"quoted\" value"  double quotes: \n \r \t \" \\ escapes; may span lines
 *   KEY='literal value'       single quotes: no escapes
 *
 * No variable expansion (`${X}` stays as written). Errors name the line and the key, never the
 * value, and parsing continues with the next line where it can.
 */

export interface DotenvEntry {
  key: string;
  value: string;
  line: number;
}

export interface DotenvError {
  line: number;
  key: string | null;
  message: string;
}

const KEY_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\', $: '$' };

export function parseDotenv(text: string): { entries: DotenvEntry[]; errors: DotenvError[] } {
  const src = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const lines = src.split('\n');
  const entries: DotenvEntry[] = [];
  const errors: DotenvError[] = [];

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i] ?? '';
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;

    // Only leading whitespace goes: a quoted value may end the line with spaces it means.
    const body = raw.replace(/^\s+/, '').replace(/^export\s+/, '');
    const eq = body.indexOf('=');
    if (eq < 0) {
      errors.push({ line: lineNo, key: null, message: 'expected KEY=value' });
      continue;
    }
    const key = body.slice(0, eq).trim();
    if (!KEY_RE.test(key)) {
      errors.push({ line: lineNo, key: null, message: 'invalid key: use letters, digits, "_", "." and "-", starting with a letter or "_"' });
      continue;
    }
    let rest = body.slice(eq + 1).replace(/^[ \t]+/, '');
    const quote = rest[0];

    if (quote === '"' || quote === "'") {
      // Find the closing quote, possibly on a later line.
      let value = '';
      let j = 1;
      let closed = false;
      let endLine = i;
      for (;;) {
        while (j < rest.length) {
          const ch = rest[j]!;
          if (quote === '"' && ch === '\\' && j + 1 < rest.length) {
            const next = rest[j + 1]!;
            value += ESCAPES[next] ?? '\\' + next;
            j += 2;
            continue;
          }
          if (ch === quote) {
            closed = true;
            break;
          }
          value += ch;
          j++;
        }
        if (closed || endLine + 1 >= lines.length) break;
        endLine++;
        value += '\n';
        rest = rest.slice(0, j) + '\n' + (lines[endLine] ?? '');
        j++;
      }
      if (!closed) {
        errors.push({ line: lineNo, key, message: `unterminated ${quote === '"' ? 'double' : 'single'}-quoted value` });
        break; // the rest of the file was swallowed by the open quote
      }
      const after = rest.slice(j + 1).trim();
      i = endLine;
      if (after !== '' && !after.startsWith('#')) {
        errors.push({ line: lineNo, key, message: 'unexpected text after the closing quote' });
        continue;
      }
      entries.push({ key, value, line: lineNo });
      continue;
    }

    // Unquoted: an inline comment starts at a # preceded by whitespace.
    const hash = rest.search(/[ \t]#/);
    const value = (hash >= 0 ? rest.slice(0, hash) : rest).trim();
    entries.push({ key, value, line: lineNo });
  }

  return { entries, errors };
}
