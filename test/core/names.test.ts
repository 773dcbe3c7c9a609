import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_VALUE_BYTES, defaultExposeAs, validateEnvName, validateSecretName, validateValue } from '../../src/core/names.js';

describe('secret names', () => {
  const cases: Array<[string, string, boolean]> = [
    ['a simple kebab-case name is accepted', 'openai-api-key', true],
    ['dots and underscores are accepted', 'pagerduty.token_v2', true],
    ['a name starting with a digit is accepted', '1password', true],
    ['a single character is accepted', 'a', true],
    ['128 characters are accepted', 'a'.repeat(128), true],
    ['129 characters are refused', 'a'.repeat(129), false],
    ['an empty name is refused', '', false],
    ['a name starting with a dot is refused', '.hidden', false],
    ['a name starting with a dash is refused', '-x', false],
    ['a space is refused', 'my key', false],
    ['a slash is refused', 'a/b', false],
    ['a non-ASCII letter is refused', 'clé', false],
  ];
  for (const [name, input, ok] of cases) {
    test(name, () => assert.equal(validateSecretName(input) === null, ok));
  }
  test('the error names the rule', () => assert.match(validateSecretName('a b') ?? '', /letters, digits/));
});

describe('default exposeAs', () => {
  const cases: Array<[string, string, string]> = [
    ['dashes become underscores', 'openai-api-key', 'OPENAI_API_KEY'],
    ['dots become underscores', 'pagerduty.token', 'PAGERDUTY_TOKEN'],
    ['camelCase is split into words', 'myKey', 'MY_KEY'],
    ['an acronym before a word is split', 'OpenAIKey', 'OPEN_AI_KEY'],
    ['an already upper snake name is unchanged', 'OPENAI_API_KEY', 'OPENAI_API_KEY'],
    ['runs of separators collapse', 'a--b..c', 'A_B_C'],
    ['a leading digit gets an underscore', '1password', '_1PASSWORD'],
  ];
  for (const [name, input, want] of cases) {
    test(name, () => {
      assert.equal(defaultExposeAs(input), want);
      assert.equal(validateEnvName(want), null);
    });
  }
});

describe('environment variable names', () => {
  const cases: Array<[string, string, boolean]> = [
    ['an upper snake name is accepted', 'OPENAI_API_KEY', true],
    ['a leading underscore is accepted', '_X', true],
    ['lower case is refused', 'openai_api_key', false],
    ['a leading digit is refused', '1X', false],
    ['PATH is reserved', 'PATH', false],
    ['HOME is reserved', 'HOME', false],
    ['NODE_OPTIONS is reserved', 'NODE_OPTIONS', false],
    ['HTTPS_PROXY is reserved because standin sets it', 'HTTPS_PROXY', false],
    ['NO_PROXY is reserved because it would bypass the proxy', 'NO_PROXY', false],
    ['SSL_CERT_FILE is reserved because standin sets it', 'SSL_CERT_FILE', false],
    ['any LD_ variable is reserved', 'LD_PRELOAD', false],
    ['LD_LIBRARY_PATH is reserved', 'LD_LIBRARY_PATH', false],
    ['DYLD_INSERT_LIBRARIES is reserved', 'DYLD_INSERT_LIBRARIES', false],
    ['STANDIN_ settings are reserved', 'STANDIN_MASTER_KEY', false],
    ['129 characters are refused', 'A'.repeat(129), false],
  ];
  for (const [name, input, ok] of cases) {
    test(name, () => assert.equal(validateEnvName(input) === null, ok, validateEnvName(input) ?? ''));
  }
});

describe('values', () => {
  const canary = 'sk-canary-value-1234';
  const cases: Array<[string, string, RegExp | null]> = [
    ['an ordinary token is accepted', canary, null],
    ['an empty value is refused', '', /empty/],
    ['a CR is refused', `${canary}\r`, /carriage return/],
    ['a LF (trailing newline) is refused', `${canary}\n`, /line feed/],
    ['a NUL is refused', `a\0b`, /NUL/],
    ['exactly 64 KiB is accepted', 'x'.repeat(MAX_VALUE_BYTES), null],
    ['64 KiB + 1 byte is refused', 'x'.repeat(MAX_VALUE_BYTES + 1), /limit/],
    ['the limit counts UTF-8 bytes, not characters', 'é'.repeat(MAX_VALUE_BYTES / 2 + 1), /limit/],
  ];
  for (const [name, input, want] of cases) {
    test(name, () => {
      const got = validateValue(input);
      if (want === null) assert.equal(got, null);
      else assert.match(got ?? '', want);
    });
  }
  test('the message never contains the value', () => {
    for (const v of [`${canary}\n`, `${canary}\r\nX-Evil: 1`, `${canary}\0`]) assert.ok(!(validateValue(v) ?? '').includes(canary));
  });
});
