import { test } from 'node:test';
import assert from 'node:assert/strict';
import { format, inspect } from 'node:util';
import { SecretValue } from '../../src/core/secret-value.js';
import { Keyring, generateRootKey, formatRootKey } from '../../src/crypto/keyring.js';
import { CANARY } from './helpers.js';

const renderings = (x: unknown): string[] => [
  JSON.stringify(x),
  JSON.stringify({ nested: { x } }),
  String(x),
  `${x}`,
  'prefix ' + x,
  inspect(x),
  inspect({ deep: [x] }, { depth: 10, showHidden: true }),
  format('%s %o %O %j', x, x, x, x),
];

test('a SecretValue never shows its value through JSON, String, templates or util.inspect', () => {
  const v = new SecretValue(CANARY);
  for (const text of renderings(v)) assert.ok(!text.includes(CANARY), text);
  assert.equal(v.reveal(), CANARY);
});

test('a root key and a keyring never show key material through JSON, String or util.inspect', () => {
  const k = generateRootKey();
  const material = formatRootKey(k).split(':')[1] as string;
  const hex = k.bytes().toString('hex');
  for (const x of [k, new Keyring([k])]) {
    for (const text of renderings(x)) {
      assert.ok(!text.includes(material), text);
      assert.ok(!text.includes(hex), text);
      assert.ok(text.includes(k.id), text);
    }
  }
});
