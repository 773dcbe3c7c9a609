import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getProvider, listProviders } from '../../src/core/providers.js';
import { parseHostRule } from '../../src/core/hosts.js';
import { validateEnvName } from '../../src/core/names.js';

const providers = listProviders();

describe('provider catalog', () => {
  test('there are at least 25 providers', () => assert.ok(providers.length >= 25, String(providers.length)));
  test('ids are unique', () => assert.equal(new Set(providers.map((p) => p.id)).size, providers.length));
  test('the issue\'s named providers are all present', () => {
    for (const id of ['openai', 'anthropic', 'gemini', 'openrouter', 'mistral', 'groq', 'cohere', 'huggingface', 'github', 'gitlab', 'vercel', 'cloudflare', 'netlify', 'stripe', 'twilio', 'sendgrid', 'resend', 'notion', 'slack', 'linear', 'sentry', 'pagerduty', 'datadog', 'supabase', 'pinecone']) {
      assert.ok(getProvider(id), id);
    }
  });
  for (const p of providers) {
    test(`${p.id}: every host parses as a rule in canonical form`, () => {
      for (const h of p.hosts) {
        const r = parseHostRule(h);
        assert.ok(r.ok, r.ok ? '' : r.reason);
      }
      assert.ok(p.hosts.length > 0 || p.hostHint, 'a provider without hosts explains which host to give');
    });
    test(`${p.id}: exposeAs is a valid env name and the docs URL is https`, () => {
      assert.equal(validateEnvName(p.exposeAs), null);
      assert.match(p.docsUrl, /^https:\/\/[^/]+\//);
      if (p.auth.kind === 'header') assert.match(p.auth.format, /\{value\}/);
    });
  }
  test('openai sends a Bearer header to api.openai.com with an sk- prefix', () => {
    const p = getProvider('openai');
    assert.deepEqual(p?.hosts, ['api.openai.com']);
    assert.deepEqual(p?.auth, { kind: 'header', name: 'Authorization', format: 'Bearer {value}' });
    assert.equal(p?.placeholderPrefix, 'sk-');
  });
  test('supabase has no wildcard over supabase.co, where other customers run code', () => {
    assert.deepEqual(getProvider('supabase')?.hosts, []);
    assert.equal(parseHostRule('*.supabase.co').ok, false);
  });
  test('an unknown id gives undefined', () => assert.equal(getProvider('nope'), undefined));
});
