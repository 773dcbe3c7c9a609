/**
 * Regenerates docs/screenshots/*.png: the dashboard's main pages on a laptop and on a phone,
 * against a real standin (temporary SQLite data dir) filled with sample data.
 *
 *   npx tsx scripts/screenshots.ts
 */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../test/helpers/server.js';
import { launchBrowser } from '../test/web/browser.js';
import { randomId } from '../src/crypto/tokens.js';
import type { EgressEvent } from '../src/core/types.js';

const OUT = join(import.meta.dirname, '..', 'docs', 'screenshots');
const LAPTOP = { width: 1366, height: 860 };
const PHONE = { width: 390, height: 844 };
/** Long pages are cut here so every image stays under 200 KB. */
const MAX_HEIGHT = { laptop: 1300, phone: 1800 };
const CUT: Record<string, number> = { audit: 980, providers: 900 };

const sample = (label: string) => `${label}-${randomId('', 32)}`;

async function seed(s: TestServer): Promise<{ secretId: string; sandboxId: string }> {
  const svc = s.running.core.services;
  const admin = await svc.keys.authenticate(s.adminKey, null);
  const ago = (min: number) => new Date(Date.now() - min * 60_000).toISOString();
  const { secret: openai } = await svc.secrets.create(admin, { name: 'openai-api-key', value: sample('sk-proj'), provider: 'openai', description: 'Team key for the coding agents' });
  const { secret: github } = await svc.secrets.create(admin, { name: 'github-token', value: sample('ghp'), provider: 'github' });
  await svc.secrets.create(admin, { name: 'stripe-test', value: sample('sk_test'), provider: 'stripe', description: 'Stripe test mode' });
  await svc.secrets.create(admin, { name: 'anthropic-api-key', value: sample('sk-ant'), provider: 'anthropic' });
  await svc.secrets.create(admin, { name: 'billing-api', value: sample('bil'), hosts: ['api.billing.example.com', 'api.billing.example.com:8443'], description: 'Internal billing service' });
  await svc.secrets.create(admin, { name: 'pagerduty.token', value: sample('pd'), provider: 'pagerduty', scope: 'user', scopeId: admin.userId });
  await svc.secrets.rotate(admin, openai.id, { value: sample('sk-proj') });
  const sb = await svc.sandboxes.create(admin, {
    name: 'agent-run-42', secrets: { OPENAI_API_KEY: 'openai-api-key', GITHUB_TOKEN: 'github-token' }, env: { LOG_LEVEL: 'debug', REGION: 'eu-west-1' },
  });
  await svc.sandboxes.create(admin, { name: 'ci-nightly', secrets: { GITHUB_TOKEN: 'github-token' }, egress: { allowHosts: ['api.github.com', 'registry.npmjs.org'] } });
  const ev = (min: number, e: Partial<EgressEvent> & Pick<EgressEvent, 'host' | 'path' | 'decision'>, secretIds: string[] = []): EgressEvent & { secretIds: string[] } => ({
    id: randomId('egr_'), tenantId: s.tenantId, sandboxId: sb.sandbox.id, at: ago(min), method: 'POST', scheme: 'https', port: 443, status: 200,
    bytesIn: 1840, bytesOut: 512, durationMs: 412, reason: null, secrets: [], secretIds, ...e,
  });
  const swap = (id: string, version: number) => [{ binding: 'bnd_sample', secret: id, version }];
  await s.running.core.store.egress.insertBatch([
    ev(42, { host: 'api.github.com', path: '/repos/acme/app/pulls', method: 'GET', decision: 'allowed', secrets: swap(github.id, 1) }, [github.id]),
    ev(30, { host: 'api.openai.com', path: '/v1/chat/completions', decision: 'allowed', secrets: swap(openai.id, 2) }, [openai.id]),
    ev(21, { host: 'pypi.org', path: '/simple/requests/', method: 'GET', decision: 'allowed', bytesIn: 20_480 }),
    ev(12, { host: 'collect.evil.example', path: '/upload', status: 403, decision: 'blocked', reason: 'placeholder of OPENAI_API_KEY sent to collect.evil.example, which is not one of its hosts (api.openai.com)' }),
    ev(6, { host: 'api.openai.com', path: '/v1/embeddings', decision: 'allowed', secrets: swap(openai.id, 2) }, [openai.id]),
    ev(2, { host: '169.254.169.254', path: '/latest/meta-data/', method: 'GET', status: 403, decision: 'blocked', reason: 'destination 169.254.169.254 is link-local (cloud metadata); refused by the SSRF guard' }),
  ]);
  await svc.keys.create(admin, { name: 'ci-deploy', scopes: ['secrets:read', 'sandboxes:read', 'sandboxes:write'] });
  await svc.keys.create(admin, { name: 'alice-laptop', scopes: ['secrets:read', 'secrets:write', 'sandboxes:read', 'sandboxes:write', 'audit:read'] });
  await svc.keys.flushLastUsed();
  return { secretId: openai.id, sandboxId: sb.sandbox.id };
}

async function shoot(page: Page, name: string, kind: 'laptop' | 'phone'): Promise<void> {
  const file = join(OUT, `${name}-${kind}.png`);
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  const width = kind === 'laptop' ? LAPTOP.width : PHONE.width;
  await page.screenshot({ path: file, fullPage: true, clip: { x: 0, y: 0, width, height: Math.min(height, CUT[name] ?? MAX_HEIGHT[kind]) } });
  console.log(`${file} ${Math.round(statSync(file).size / 1024)} KB`);
}

async function signIn(page: Page, base: string, key: string): Promise<void> {
  await page.goto(`${base}/sign-in`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/secrets`);
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const server = await startTestServer({ proxy: false });
  // The proxy only makes the shown proxy URL carry a real port; the pages work without it.
  const proxy = await import('../src/proxy/server.js')
    .then(({ startProxy }) => startProxy({ core: server.running.core }))
    .then((p) => ((server.running.core.proxyAddress.port = p.port), p))
    .catch(() => null);
  try {
    const { secretId, sandboxId } = await seed(server);
    const base = server.apiUrl;
    for (const kind of ['laptop', 'phone'] as const) {
      const browser = await launchBrowser(kind === 'laptop' ? { viewport: LAPTOP } : { viewport: PHONE, isMobile: true, hasTouch: true });
      try {
        const page = await browser.context.newPage();
        await page.goto(`${base}/sign-in`);
        await shoot(page, 'sign-in', kind);
        await signIn(page, base, server.adminKey);
        await shoot(page, 'secrets', kind);
        await page.goto(`${base}/secrets/new`);
        await page.getByLabel('Provider').selectOption('anthropic');
        await shoot(page, 'secret-new', kind);
        await page.goto(`${base}/secrets/${secretId}?sandbox=${sandboxId}`);
        await shoot(page, 'secret-detail', kind);
        await page.goto(`${base}/sandboxes`);
        await shoot(page, 'sandboxes', kind);
        await page.goto(`${base}/sandboxes/${sandboxId}`);
        await shoot(page, 'sandbox-detail', kind);
        if (kind === 'laptop') {
          await page.goto(`${base}/sandboxes/new`);
          await page.getByLabel('Name').first().fill('demo');
          await page.locator('input[name="bind"][value="anthropic-api-key"]').check();
          await page.getByRole('button', { name: 'Create sandbox' }).click();
          await page.getByRole('heading', { name: 'Sandbox created' }).waitFor();
          await shoot(page, 'sandbox-created', kind);
        }
        await page.goto(`${base}/audit`);
        await shoot(page, 'audit', kind);
        await page.goto(`${base}/keys`);
        await shoot(page, 'keys', kind);
        await page.goto(`${base}/providers`);
        await shoot(page, 'providers', kind);
      } finally {
        await browser.close();
      }
    }
  } finally {
    await proxy?.close();
    await server.stop();
  }
}

await main();
