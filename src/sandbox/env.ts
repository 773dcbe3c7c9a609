/**
 * The environment a sandboxed process gets (`standin run`, `standin env`): the sandbox's own
 * variables from the API (placeholders, injected values, plain vars), proxy variables every common
 * HTTP client reads, and CA variables that make each runtime trust standin's interception CA
 * without touching the user's trust stores. Pure: paths and inputs in, a fresh map out.
 */

/** Proxy variables, both spellings: curl reads only the lower-case `http_proxy`, others either. */
export const PROXY_VARS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'] as const;
/** Emptied: a NO_PROXY inherited from the user's shell would let requests bypass the proxy. */
export const NO_PROXY_VARS = ['NO_PROXY', 'no_proxy'] as const;

/**
 * Variables that name a CA bundle *replacing* the runtime's default roots, so they point at the
 * system bundle plus standin's CA (not standin's CA alone, or every non-intercepted TLS peer of
 * those tools would fail). Who reads which:
 *   SSL_CERT_FILE (OpenSSL: Python ssl, Ruby, Go, PHP, httpx…), REQUESTS_CA_BUNDLE (requests),
 *   CURL_CA_BUNDLE (curl, libcurl, pip's vendored requests), GIT_SSL_CAINFO (git),
 *   AWS_CA_BUNDLE (AWS CLI and SDKs), PIP_CERT (pip), CARGO_HTTP_CAINFO (cargo),
 *   HEX_CACERTS_PATH (Elixir hex/mix), DENO_CERT (Deno), GRPC_DEFAULT_SSL_ROOTS_FILE_PATH
 *   (gRPC C core: Python/Ruby/PHP gRPC), NIX_SSL_CERT_FILE (nix), BUNDLE_SSL_CA_CERT (bundler).
 */
export const CA_BUNDLE_VARS = [
  'SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'GIT_SSL_CAINFO', 'AWS_CA_BUNDLE', 'PIP_CERT', 'CARGO_HTTP_CAINFO',
  'HEX_CACERTS_PATH', 'DENO_CERT', 'GRPC_DEFAULT_SSL_ROOTS_FILE_PATH', 'NIX_SSL_CERT_FILE', 'BUNDLE_SSL_CA_CERT',
] as const;
/** Node *adds* these certificates to its built-in roots, so standin's CA alone is right there. */
export const CA_EXTRA_VARS = ['NODE_EXTRA_CA_CERTS'] as const;

/**
 * Never passed from the invoking shell into a sandbox: the CLI's own API key could create
 * sandboxes that inject real values, and root keys open the vault.
 */
export const STRIPPED_VARS = ['STANDIN_API_KEY', 'STANDIN_MASTER_KEY', 'STANDIN_MASTER_KEY_FILE', 'STANDIN_CONFIG'] as const;

export interface TrustPaths {
  /** System roots + standin's CA. */
  bundleFile: string;
  /** standin's CA alone. */
  caFile: string;
}

export interface SandboxEnvInput {
  /** The environment the command inherits (the user's shell); null for `standin env` (nothing inherited). */
  base: Readonly<Record<string, string | undefined>> | null;
  /** `env` from the create response: placeholders, injected values, plain vars, proxy vars. */
  sandboxEnv: Readonly<Record<string, string>>;
  /** The proxy URL with the sandbox's credential, as the sandbox must use it (host may be rewritten). */
  proxyUrl: string;
  sandboxId: string;
  /** Where the CA files are, as the sandbox sees them; null leaves the CA variables out. */
  trust: TrustPaths | null;
  /** Absolute path of the Node preload (node-preload.cjs); null leaves NODE_OPTIONS alone. */
  nodePreload: string | null;
}

/** Quotes a NODE_OPTIONS argument when it needs it (Node splits NODE_OPTIONS on spaces, honouring "…"). */
export function nodeOptionArg(path: string): string {
  return /[\s"\\]/.test(path) ? `"${path.replace(/(["\\])/g, '\\$1')}"` : path;
}

/** NODE_OPTIONS with `--require <preload>` appended once, keeping whatever the user had. */
export function withNodePreload(existing: string | undefined, preload: string): string {
  const arg = `--require ${nodeOptionArg(preload)}`;
  const cur = (existing ?? '').trim();
  if (cur.includes(arg)) return cur;
  return cur ? `${cur} ${arg}` : arg;
}

/**
 * Assembles the environment. Later layers win: inherited shell (minus standin's own credentials
 * and any proxy/CA settings that would fight ours) → the sandbox's variables → proxy and CA.
 */
export function assembleEnv(input: SandboxEnvInput): Record<string, string> {
  const out: Record<string, string> = {};
  const drop = new Set<string>([...STRIPPED_VARS, ...PROXY_VARS, ...NO_PROXY_VARS]);
  for (const [k, v] of Object.entries(input.base ?? {})) {
    if (v === undefined || drop.has(k)) continue;
    out[k] = v;
  }
  for (const [k, v] of Object.entries(input.sandboxEnv)) out[k] = v;
  for (const k of PROXY_VARS) out[k] = input.proxyUrl;
  for (const k of NO_PROXY_VARS) out[k] = '';
  if (input.trust) {
    for (const k of CA_BUNDLE_VARS) out[k] = input.trust.bundleFile;
    for (const k of CA_EXTRA_VARS) out[k] = input.trust.caFile;
  }
  if (input.nodePreload) {
    out.NODE_OPTIONS = withNodePreload(out.NODE_OPTIONS, input.nodePreload);
    // Node ≥ 24 honours the proxy variables natively for fetch and http(s) when asked to.
    out.NODE_USE_ENV_PROXY = '1';
  }
  out.STANDIN_SANDBOX_ID = input.sandboxId;
  return out;
}

/** The proxy URL with its host and port replaced (the credential kept), e.g. for a namespace or a container. */
export function rewriteProxyUrl(proxyUrl: string, host: string, port?: number): string {
  const u = new URL(proxyUrl);
  u.hostname = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  if (port !== undefined) u.port = String(port);
  return u.toString().replace(/\/$/, '');
}

/** The `host:port` a proxy URL points at. */
export function proxyEndpoint(proxyUrl: string): { host: string; port: number } {
  const u = new URL(proxyUrl);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)) };
}

/** Parses repeatable `KEY=value` flags; `what` names the flag in errors. Values are never echoed. */
export function parsePairs(items: readonly string[], what: string): Array<[string, string]> {
  return items.map((item) => {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error(`${what} expects NAME=value, got an argument without "=" (starting "${item.slice(0, Math.min(eq < 0 ? 16 : eq, 16))}")`);
    return [item.slice(0, eq), item.slice(eq + 1)];
  });
}

/** The variables whose values are credentials, for output that must mask them. */
export function credentialVars(env: Readonly<Record<string, string>>): string[] {
  return Object.keys(env).filter((k) => (PROXY_VARS as readonly string[]).includes(k) || /stn_(ph|px)_/.test(env[k] ?? ''));
}
