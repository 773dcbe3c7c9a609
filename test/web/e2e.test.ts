/**
 * The dashboard end to end in Debian's chromium: a real standin on loopback, a real proxy (when
 * it starts), a loopback HTTPS upstream with a test CA, and curl as the sandbox's client.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startEchoUpstream, type EchoUpstream } from '../helpers/upstream.js';
import { makeTestPki } from '../helpers/tls.js';
import { launchBrowser, type Browser } from './browser.js';

const run = promisify(execFile);
const ALLOWED_HOST = 'api.echo.test';
const OTHER_HOST = 'other.echo.test';

/** The sandbox's client: curl through the proxy URL, trusting the CA the dashboard showed. */
async function curlThroughProxy(proxyUrl: string, caFile: string, url: string, placeholder: string): Promise<{ status: number; body: string }> {
  const { stdout } = await run('curl', ['-sS', '--max-time', '10', '--proxy', proxyUrl, '--cacert', caFile, '-H', `Authorization: Bearer ${placeholder}`, '-w', '\n%{http_code}', url], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
}

async function text(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).textContent()) ?? '').trim();
}

test('the dashboard end to end in chromium', { timeout: 90_000 }, async (t) => {
  const pki = await makeTestPki([ALLOWED_HOST, OTHER_HOST]);
  const upstream: EchoUpstream = await startEchoUpstream({ tls: pki.server });
  const server: TestServer = await startTestServer({
    proxy: false,
    env: { STANDIN_RESOLVE: `${ALLOWED_HOST}=127.0.0.1,${OTHER_HOST}=127.0.0.1`, STANDIN_UPSTREAM_CA_FILE: pki.caFile, STANDIN_EGRESS_ALLOW: '127.0.0.1' },
  });
  // The proxy is started here rather than by start(): if it cannot start yet, nothing leaks and
  // the egress step is skipped (and says so) instead of failing the whole walk.
  let proxy: { close(): Promise<void> } | null = null;
  let proxyProblem: string | null = null;
  try {
    const { startProxy } = await import('../../src/proxy/server.js');
    const p = await startProxy({ core: server.running.core });
    server.running.core.proxyAddress.port = p.port;
    proxy = p;
  } catch (e) {
    proxyProblem = `the egress proxy does not start yet: ${(e as Error).message}`;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'standin-e2e-'));
  let browser: Browser;
  try {
    browser = await launchBrowser();
  } catch (e) {
    // Without this, the server and upstream kept the file's process alive until its timeout.
    await proxy?.close();
    await server.stop();
    await upstream.close();
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const base = server.apiUrl;
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  const page = await browser.context.newPage();

  // Every HTML document and htmx fragment the server sent, and every page as rendered.
  const served: Array<Promise<string>> = [];
  const rendered: string[] = [];
  const consoleErrors: string[] = [];
  page.on('response', (r) => {
    const type = r.request().resourceType();
    if (type === 'document' || type === 'xhr' || type === 'fetch') served.push(r.text().catch(() => ''));
  });
  page.on('console', (m) => {
    // 4xx pages (a form with a validation error) are expected; CSP violations and script errors are not.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource: the server responded with a status of 4')) consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  const snap = async () => {
    rendered.push(await page.content());
  };

  const canary1 = `CANARY-web-${Date.now().toString(36)}-first-value`;
  const canary2 = `CANARY-web-${Date.now().toString(36)}-rotated-value`;
  let secretUrl = '';
  let env = '';
  let proxyUrl = '';
  let caPem = '';

  try {
    await t.test('sign in with the admin key', async () => {
      await page.goto(`${base}/`);
      assert.equal(new URL(page.url()).pathname, '/sign-in');
      // Keyboard only: the key field has focus, Enter submits.
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'api-key');
      await page.keyboard.type(server.adminKey);
      await page.keyboard.press('Enter');
      await page.waitForURL(`${base}/secrets`);
      assert.equal(await text(page, 'h1'), 'Secrets');
      assert.ok(await page.getByRole('heading', { name: 'No secrets yet' }).isVisible());
      await snap();
    });

    await t.test('add a secret; the value is not echoed after an error', async () => {
      await page.getByRole('link', { name: 'Add secret' }).first().click();
      await page.waitForURL(`${base}/secrets/new`);
      // The provider picker fills in hosts and the env name, and empties them again.
      await page.getByLabel('Provider').selectOption('openai');
      assert.equal(await page.getByLabel('Hosts').inputValue(), 'api.openai.com');
      assert.equal(await page.getByLabel('Expose as (optional)').inputValue(), 'OPENAI_API_KEY');
      await page.getByLabel('Provider').selectOption('');
      assert.equal(await page.getByLabel('Hosts').inputValue(), '');

      await page.getByLabel('Name', { exact: true }).fill('echo token!');
      await page.getByLabel('Value', { exact: true }).fill(canary1);
      await page.getByLabel('Hosts').fill(`${ALLOWED_HOST}:${upstream.port}`);
      await page.getByRole('button', { name: 'Add secret' }).click();
      await page.getByRole('alert').waitFor();
      assert.match(await text(page, '[role=alert]'), /secret name/);
      assert.equal(await page.getByLabel('Value', { exact: true }).inputValue(), '', 'the value field comes back empty');
      assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'echo token!', 'the other fields are kept');
      await snap();

      await page.getByLabel('Name', { exact: true }).fill('echo-token');
      await page.getByLabel('Value', { exact: true }).fill(canary1);
      await page.getByLabel('Description (optional)').fill('Echo upstream for the e2e test');
      await page.getByRole('button', { name: 'Add secret' }).click();
      await page.waitForURL(/\/secrets\/sec_[0-9A-Za-z]+\?notice=secret-created$/);
      secretUrl = page.url().split('?')[0]!;
      assert.match(await text(page, '[role=status]'), /Secret saved/);
      assert.equal(await text(page, 'h1'), 'echo-token');
      await snap();
    });

    await t.test('see its preview in the list, and search', async () => {
      const admin = await server.running.core.services.keys.authenticate(server.adminKey, null);
      await server.running.core.services.secrets.create(admin, { name: 'other-secret', value: 'other-value-long-enough', hosts: ['api.example.com'] });
      await page.goto(`${base}/secrets`);
      const row = page.locator('#secret-results tbody tr', { hasText: 'echo-token' });
      assert.match((await row.textContent()) ?? '', new RegExp(`${canary1.slice(-4)}`));
      assert.match((await row.textContent()) ?? '', /v1/);
      assert.equal(await page.locator('#secret-results tbody tr').count(), 2);
      await page.getByLabel('Search by name').fill('echo');
      await page.waitForFunction(() => document.querySelectorAll('#secret-results tbody tr').length === 1);
      assert.match(await text(page, '#secret-results tbody'), /echo-token/);
      assert.equal(new URL(page.url()).searchParams.get('q'), 'echo', 'the search is in the URL (htmx pushes it)');
      await page.getByLabel('Search by name').fill('nothing-like-this');
      await page.getByRole('heading', { name: 'No secrets match these filters' }).waitFor();
      await snap();
    });

    await t.test('rotate it', async () => {
      await page.goto(secretUrl);
      await page.getByLabel('New value').fill(canary2);
      await page.getByRole('button', { name: 'Rotate' }).click();
      await page.waitForURL(/notice=secret-rotated/);
      assert.match(await text(page, '[role=status]'), /Secret rotated/);
      const details = await text(page, 'dl.meta');
      assert.match(details, /v2/);
      assert.match(details, new RegExp(canary2.slice(-4)));
      assert.equal(await page.locator('section', { hasText: 'Versions' }).locator('tbody tr').count(), 2);
      await snap();
    });

    await t.test('create a sandbox; its environment is shown once, with copy buttons', async () => {
      await page.goto(`${base}/sandboxes`);
      assert.ok(await page.getByRole('heading', { name: 'No sandboxes yet' }).isVisible());
      await page.getByRole('link', { name: 'Create sandbox' }).first().click();
      await page.getByLabel('Name', { exact: false }).first().fill('e2e-box');
      await page.getByLabel(/Bind echo-token/).check();
      await page.getByLabel('Plain environment variables (optional)').fill('MODE=e2e');
      await page.getByRole('button', { name: 'Create sandbox' }).click();
      await page.getByRole('heading', { name: 'Sandbox created' }).waitFor();
      env = await text(page, '#sandbox-env');
      proxyUrl = await text(page, '#proxy-url');
      caPem = ((await page.locator('#ca-cert').textContent()) ?? '').trim();
      assert.match(env, /^ECHO_TOKEN=stn_ph_[0-9A-Za-z]+$/m);
      assert.match(env, /^MODE=e2e$/m);
      assert.match(proxyUrl, /^http:\/\/standin:stn_px_[0-9A-Za-z]+@127\.0\.0\.1:\d+$/);
      assert.match(caPem, /^-----BEGIN CERTIFICATE-----/);
      await page.getByRole('button', { name: 'Copy proxy URL' }).click();
      await page.getByRole('button', { name: 'Copied' }).waitFor();
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), proxyUrl);
      await snap();
      await page.getByRole('link', { name: 'Open sandbox' }).click();
      assert.equal(await text(page, 'h1'), 'e2e-box');
      assert.match(await text(page, '#network'), /No requests yet/);
      assert.match(await text(page, 'section:has(#bindings-title)'), /ECHO_TOKEN/);
      await snap();
    });

    await t.test('see egress events after requests through the proxy', { skip: proxyProblem ?? false }, async () => {
      const caFile = join(tmp, 'standin-ca.pem');
      writeFileSync(caFile, caPem);
      const placeholder = /^ECHO_TOKEN=(.+)$/m.exec(env)![1]!;
      const ok = await curlThroughProxy(proxyUrl, caFile, `https://${ALLOWED_HOST}:${upstream.port}/e2e/allowed`, placeholder);
      assert.equal(ok.status, 200, ok.body);
      assert.equal(upstream.requests.at(-1)?.headers.authorization, `Bearer ${canary2}`, 'the upstream got the rotated value');
      const blocked = await curlThroughProxy(proxyUrl, caFile, `https://${OTHER_HOST}:${upstream.port}/e2e/blocked`, placeholder);
      assert.equal(blocked.status, 403, blocked.body);

      const sandboxUrl = page.url().split('?')[0]!;
      const allowedRow = page.locator('#network-results tbody tr', { hasText: '/e2e/allowed' });
      const blockedRow = page.locator('#network-results tbody tr', { hasText: '/e2e/blocked' });
      // Egress events are written in batches: reload until both show up.
      for (let i = 0; i < 40 && ((await allowedRow.count()) === 0 || (await blockedRow.count()) === 0); i++) {
        await new Promise((r) => setTimeout(r, 250));
        await page.goto(sandboxUrl);
      }
      assert.match((await allowedRow.textContent()) ?? '', /Allowed/);
      assert.match((await allowedRow.textContent()) ?? '', new RegExp(`${ALLOWED_HOST}:${upstream.port}`));
      assert.match((await allowedRow.textContent()) ?? '', /echo-token v2/);
      assert.match((await blockedRow.textContent()) ?? '', /Blocked/);
      assert.equal(await blockedRow.getAttribute('class'), 'row-blocked', 'blocked requests stand out');
      await snap();
      await page.getByLabel('Decision').selectOption('blocked');
      await page.waitForFunction(() => document.querySelectorAll('#network-results tbody tr').length === 1);
      await snap();
      await page.goto(secretUrl);
      assert.match(await text(page, 'section:has(#usage-title)'), /\/e2e\/allowed/);
      await snap();
    });

    await t.test('reads and filters work without JavaScript', async () => {
      const noJs = await launchBrowser({ javaScriptEnabled: false });
      try {
        const p = await noJs.context.newPage();
        p.on('response', (r) => {
          if (r.request().resourceType() === 'document') served.push(r.text().catch(() => ''));
        });
        await p.goto(`${base}/sign-in`);
        await p.getByLabel('API key').fill(server.adminKey);
        await p.getByRole('button', { name: 'Sign in' }).click();
        await p.waitForURL(`${base}/secrets`);
        await p.getByLabel('Search by name').fill('other');
        await p.getByRole('button', { name: 'Filter' }).click();
        await p.waitForURL(/q=other/);
        assert.equal(await p.locator('#secret-results tbody tr').count(), 1);
        assert.match((await p.locator('#secret-results tbody').textContent()) ?? '', /other-secret/);
        await p.goto(`${base}/sandboxes`);
        await p.getByRole('link', { name: 'e2e-box' }).click();
        assert.match((await p.locator('#network').textContent()) ?? '', /Network log/);
        // Copy buttons need JavaScript, so without it they stay hidden.
        assert.equal(await p.locator('button[data-copy]:visible').count(), 0);
        rendered.push(await p.content());
      } finally {
        await noJs.close();
      }
    });

    await t.test('create an API key, shown once, and revoke it', async () => {
      await page.goto(`${base}/keys`);
      await page.getByLabel('Name', { exact: true }).fill('ci-e2e');
      await page.getByRole('checkbox', { name: /keys:write/ }).uncheck();
      await page.getByRole('button', { name: 'Create key' }).click();
      await page.getByRole('heading', { name: 'API key created' }).waitFor();
      const key = await text(page, '#new-key');
      assert.match(key, /^stn_live_[0-9A-Za-z]+$/);
      assert.ok(await page.getByRole('button', { name: 'Copy key' }).isVisible());
      assert.equal((await server.api('GET', '/v1/secrets', undefined, key)).status, 200, 'the new key works');
      await snap();
      await page.getByRole('link', { name: 'Done' }).click();
      const row = page.locator('tbody tr', { hasText: 'ci-e2e' });
      assert.match((await row.textContent()) ?? '', new RegExp(key.slice(0, 12)));
      assert.doesNotMatch((await row.textContent()) ?? '', /keys:write/);
      assert.ok(!(await page.content()).includes(key), 'the key is not shown again');
      await page.getByRole('link', { name: 'Revoke ci-e2e' }).click();
      await page.getByRole('heading', { name: 'Revoke API key “ci-e2e”?' }).waitFor();
      await page.getByRole('button', { name: 'Revoke' }).click();
      await page.waitForURL(/notice=key-revoked/);
      assert.match(await text(page, '[role=status]'), /API key revoked/);
      assert.equal(await page.locator('section[aria-labelledby="keys-title"] tbody tr', { hasText: 'ci-e2e' }).count(), 0, 'no longer among the active keys');
      assert.match(await page.locator('#revoked-keys tbody tr', { hasText: 'ci-e2e' }).innerText(), /revoked/, 'listed as revoked');
      assert.equal((await server.api('GET', '/v1/secrets', undefined, key)).status, 401, 'the revoked key stops working');
      await snap();
    });

    await t.test('the audit log shows what happened, and the chain verifies', async () => {
      await page.goto(`${base}/audit`);
      assert.match(await text(page, '[role=status]'), /Chain verified/);
      await page.getByLabel('Action').fill('secrets.rotate');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForFunction(() => document.querySelectorAll('#audit-results tbody tr').length === 1);
      assert.match(await text(page, '#audit-results'), /echo-token/);
      await snap();
    });

    await t.test('sign out', async () => {
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(`${base}/sign-in?notice=signed-out`);
      assert.match(await text(page, '[role=status]'), /You are signed out/);
      await page.goto(`${base}/secrets`);
      assert.equal(new URL(page.url()).pathname, '/sign-in');
      await snap();
    });

    await t.test('the value was in no page, and the browser saw no CSP violation', async () => {
      const all = [...(await Promise.all(served)), ...rendered];
      assert.ok(all.length > 20, `collected ${all.length} pages`);
      for (const html of all) {
        assert.ok(!html.includes(canary1), 'the first value appears in a page');
        assert.ok(!html.includes(canary2), 'the rotated value appears in a page');
      }
      assert.deepEqual(consoleErrors, []);
    });
  } finally {
    await browser.close();
    await proxy?.close();
    await server.stop();
    await upstream.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});
