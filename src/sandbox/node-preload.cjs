'use strict';
/*
 * Loaded into every Node process of a `standin run` sandbox through
 * NODE_OPTIONS="--require <this file>". Node 20–22's built-in fetch (undici) ignores HTTPS_PROXY /
 * HTTP_PROXY, so without this a `fetch()` would go straight out (and, under --isolate, be caught by
 * the transparent listener instead). Installing undici's EnvHttpProxyAgent as the global dispatcher
 * makes the built-in fetch honour the variables: Node's bundled undici and the undici package share
 * the global dispatcher slot (Symbol.for('undici.globalDispatcher.1')).
 *
 * Plain-HTTP requests go to the proxy in absolute form (proxyTunnel: false), as curl sends them.
 * The `http`/`https` modules are not affected (Node ≥ 24 handles them with NODE_USE_ENV_PROXY=1,
 * which standin sets as well). Failures never stop the user's program: a warning on stderr at most.
 */
(function installStandinProxy() {
  const env = process.env;
  if (!(env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy)) return;
  const key = Symbol.for('standin.preload.installed');
  if (globalThis[key]) return;
  globalThis[key] = true;
  let undici;
  try {
    undici = require('undici');
  } catch (e) {
    if (env.STANDIN_PRELOAD_QUIET !== '1') process.stderr.write('standin: warning: cannot load undici; fetch() ignores the proxy variables in this process\n');
    return;
  }
  if (typeof undici.EnvHttpProxyAgent !== 'function' || typeof undici.setGlobalDispatcher !== 'function') return;
  try {
    undici.setGlobalDispatcher(new undici.EnvHttpProxyAgent({ proxyTunnel: false }));
  } catch (e) {
    if (env.STANDIN_PRELOAD_QUIET !== '1') process.stderr.write('standin: warning: cannot install the proxy for fetch(): ' + (e && e.message) + '\n');
  }
})();
