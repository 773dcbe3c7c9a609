/**
 * Naming and value rules for secrets and the environment variables that expose them.
 * Each validator returns a human-readable error message, or null when the input is fine.
 * Messages name the rule that was broken and never echo a secret value.
 */

/** Longest secret name and environment variable name accepted. */
export const MAX_NAME_LENGTH = 128;

/** Largest secret value accepted, in UTF-8 bytes (64 KiB). */
export const MAX_VALUE_BYTES = 64 * 1024;

const SECRET_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const ENV_NAME_RE = /^[A-Z_][A-Z0-9_]*$/;

/**
 * The secret name rule, as shown to users: 1–128 characters; letters, digits, `.`, `_` and `-`;
 * starting with a letter or digit. Names are case-sensitive (`GitHub` and `github` are two secrets).
 */
export const SECRET_NAME_RULE =
  'a secret name is 1–128 characters of letters, digits, ".", "_" and "-", starting with a letter or digit; names are case-sensitive';

/** The environment variable name rule, as shown to users. */
export const ENV_NAME_RULE =
  'an environment variable name is 1–128 characters of upper-case letters, digits and "_", not starting with a digit, and not a reserved name';

/**
 * Variables a binding must never set: they would let a secret's env name hijack the process
 * (loader and interpreter hooks), or override the proxy and CA variables standin itself sets
 * for the sandbox (an `HTTPS_PROXY` binding would route around the proxy).
 */
export const RESERVED_ENV_NAMES: ReadonlySet<string> = new Set([
  // process basics
  'PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'PWD', 'OLDPWD', 'TMPDIR', 'IFS', 'ENV', 'BASH_ENV',
  'PS4', 'PROMPT_COMMAND', 'CDPATH', 'HOSTALIASES', 'LOCALDOMAIN', 'RES_OPTIONS', 'TZDIR',
  // glibc tunables parsing was CVE-2023-4911 ("Looney Tunables")
  'GLIBC_TUNABLES',
  // interpreter start-up hooks
  'NODE_OPTIONS', 'NODE_PATH', 'NODE_TLS_REJECT_UNAUTHORIZED', 'NODE_EXTRA_CA_CERTS', 'NODE_USE_ENV_PROXY',
  'PYTHONPATH', 'PYTHONSTARTUP', 'PYTHONHOME', 'PYTHONHTTPSVERIFY', 'PYTHONWARNINGS', 'PYTHONINSPECT',
  'PERL5OPT', 'PERL5LIB', 'PERLLIB', 'RUBYOPT', 'RUBYLIB', 'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS',
  'JDK_JAVA_OPTIONS', 'DENO_CERT', 'GIT_SSH_COMMAND', 'GIT_PROXY_COMMAND', 'GIT_EXEC_PATH',
  // proxy variables set by standin for the sandbox (DESIGN.md §6 step 1)
  'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY', 'FTP_PROXY', 'GRPC_PROXY',
  // CA trust variables set by standin so runtimes trust its CA
  'SSL_CERT_FILE', 'SSL_CERT_DIR', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'GIT_SSL_CAINFO',
  'GIT_SSL_NO_VERIFY', 'AWS_CA_BUNDLE', 'PIP_CERT', 'CARGO_HTTP_CAINFO', 'HEX_CACERTS_PATH',
]);

/** Prefixes no binding may use: dynamic-loader hooks, exported bash functions, standin's own settings. */
export const RESERVED_ENV_PREFIXES: readonly string[] = ['LD_', 'DYLD_', 'BASH_FUNC_', 'STANDIN_'];

/** Validates a secret name against {@link SECRET_NAME_RULE}. */
export function validateSecretName(name: string): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'the secret name is empty; ' + SECRET_NAME_RULE;
  if (name.length > MAX_NAME_LENGTH) return `the secret name is ${name.length} characters long; ${SECRET_NAME_RULE}`;
  if (!SECRET_NAME_RE.test(name)) return `the secret name ${JSON.stringify(name)} is not allowed; ${SECRET_NAME_RULE}`;
  return null;
}

/**
 * The default `exposeAs` of a secret name: upper snake case. Every run of characters other than
 * letters and digits becomes one `_`, a lower-to-upper case change starts a new word
 * (`myKey` → `MY_KEY`, `OpenAIKey` → `OPEN_AI_KEY`), and a leading digit gets a `_` in front
 * (`1password` → `_1PASSWORD`) because env names may not start with one. The result may still be
 * reserved (a secret named `path` gives `PATH`); callers validate it with {@link validateEnvName}.
 *
 * @example defaultExposeAs('openai-api-key') === 'OPENAI_API_KEY'
 * @example defaultExposeAs('pagerduty.token') === 'PAGERDUTY_TOKEN'
 */
export function defaultExposeAs(name: string): string {
  const snake = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase();
  const safe = /^[0-9]/.test(snake) ? `_${snake}` : snake;
  return safe.slice(0, MAX_NAME_LENGTH).replace(/_+$/, '');
}

/** Validates an environment variable name against {@link ENV_NAME_RULE}. */
export function validateEnvName(name: string): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'the environment variable name is empty; ' + ENV_NAME_RULE;
  if (name.length > MAX_NAME_LENGTH) return `the environment variable name is ${name.length} characters long; ${ENV_NAME_RULE}`;
  if (!ENV_NAME_RE.test(name)) return `the environment variable name ${JSON.stringify(name)} is not allowed; ${ENV_NAME_RULE}`;
  if (RESERVED_ENV_NAMES.has(name)) return `the environment variable name ${name} is reserved: setting it would change how the sandbox's processes start or connect`;
  const prefix = RESERVED_ENV_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `environment variable names starting with ${prefix} are reserved`;
  return null;
}

/**
 * Validates a secret value. Refuses empty values, values over 64 KiB of UTF-8 and values with
 * CR, LF or NUL: a value is spliced into HTTP header lines by the proxy, and CR/LF there would be
 * request splitting (CWE-113, RFC 9112 §2.2); NUL truncates in C consumers. DESIGN.md §2.7.
 * The message names the problem and its position, never the value.
 */
export function validateValue(value: string): string | null {
  if (typeof value !== 'string' || value.length === 0) return 'the value is empty';
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_VALUE_BYTES) return `the value is ${bytes} bytes; the limit is ${MAX_VALUE_BYTES} bytes (64 KiB)`;
  // An unpaired UTF-16 surrogate (JSON allows "\ud800") has no UTF-8 encoding: storing it would
  // silently turn it into U+FFFD, a different value from the one the client sent.
  const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.exec(value);
  if (lone) return `the value is not valid Unicode text (an unpaired surrogate at character ${lone.index + 1})`;
  const bad = /[\r\n\0]/.exec(value);
  if (bad) {
    const what = bad[0] === '\r' ? 'a carriage return (CR)' : bad[0] === '\n' ? 'a line feed (LF)' : 'a NUL character';
    return `the value contains ${what} at character ${bad.index + 1}; values may not contain CR, LF or NUL`;
  }
  return null;
}
