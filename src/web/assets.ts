import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { STYLES } from './assets/styles.js';
import { CLIENT_JS } from './assets/client.js';

export interface Asset {
  body: string;
  type: string;
  /** `/assets/<name>?v=<hash>`: the URL changes with the content, so it may be cached long. */
  url: string;
}

function asset(name: string, body: string, type: string): Asset {
  const v = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { body, type, url: `/assets/${name}?v=${v}` };
}

/** The three files the pages load, all served by the dashboard itself (no CDN: CSP is 'self'). */
export function loadAssets(): Record<'css' | 'js' | 'htmx', Asset> & { byName: Map<string, Asset> } {
  const require = createRequire(import.meta.url);
  const htmx = readFileSync(require.resolve('htmx.org/dist/htmx.min.js'), 'utf8');
  const css = asset('app.css', STYLES, 'text/css; charset=utf-8');
  const js = asset('app.js', CLIENT_JS, 'text/javascript; charset=utf-8');
  const hx = asset('htmx.min.js', htmx, 'text/javascript; charset=utf-8');
  return { css, js, htmx: hx, byName: new Map([['app.css', css], ['app.js', js], ['htmx.min.js', hx]]) };
}
