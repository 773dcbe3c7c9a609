/**
 * Log scrubber micro-benchmark: µs per log line, for a canonical proxy line that holds no value
 * (the common case) and one that holds a value, with 0 to 10,000 registered values.
 *
 *   npx tsx bench/scrubber.ts [path to scrubber module]
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const modulePath = process.argv[2] ? pathToFileURL(resolve(process.argv[2])).href : '../src/log/scrubber.js';
const { Scrubber } = (await import(modulePath)) as typeof import('../src/log/scrubber.js');

const line = JSON.stringify({
  level: 30, time: 1_700_000_000_000, service: 'standin', requestId: 'prx_k3j4h5g6f7d8000042', tenantId: 'ten_8f7d6s5a4q3w2e1r',
  sandboxId: 'sbx_1q2w3e4r5t6y7u8i', method: 'POST', scheme: 'https', host: 'api.openai.com', port: 443, path: '/v1/chat/completions',
  status: 200, decision: 'allowed', code: null, reason: null, secrets: ['OPENAI_API_KEY=openai@v3'], bytesIn: 18231, bytesOut: 912, ms: 1.27, msg: 'proxy request',
}) + '\n';

function perLine(s: InstanceType<typeof Scrubber>, text: string): number {
  for (let i = 0; i < 20_000; i++) s.scrub(text); // warm up the JIT
  const n = 200_000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) s.scrub(text);
  return Number(process.hrtime.bigint() - t0) / 1e3 / n;
}

console.log(`line of ${line.length} chars; µs per scrub (best of 3)`);
for (const count of [0, 10, 1_000, 10_000]) {
  const s = new Scrubber(40_000);
  const values = Array.from({ length: count }, () => `sk-${randomBytes(20).toString('base64url')}`);
  for (const v of values) s.register(v);
  const clean = Math.min(perLine(s, line), perLine(s, line), perLine(s, line));
  const withValue = count ? line.replace('/v1/chat/completions', `/v1/chat/${values[count >> 1]}`) : line;
  const dirty = Math.min(perLine(s, withValue), perLine(s, withValue), perLine(s, withValue));
  console.log(`  ${String(count).padStart(6)} values: no value in line ${clean.toFixed(2)} µs; one value in line ${count ? `${dirty.toFixed(2)} µs` : '—'}`);
}
