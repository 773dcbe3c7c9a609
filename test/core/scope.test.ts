import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { explainResolution, resolveSecret, scopeRefFor } from '../../src/core/scope.js';
import { SCOPES, type Coordinates, type Scope } from '../../src/core/types.js';

const coords: Coordinates = {
  tenantId: 't1', workspaceId: 'w1', userId: 'u1', externalWorkspace: 'xw1', externalUser: 'xu1', sessionId: 's1', sandboxId: 'sb1',
};
const REF: Record<Scope, string> = { sandbox: 'sb1', session: 's1', external_user: 'xu1', external_workspace: 'xw1', user: 'u1', workspace: 'w1', tenant: '' };
const at = (scope: Scope, name = 'openai', extra: Partial<{ scopeRef: string; tenantId: string }> = {}) => ({
  id: `${scope}-${name}`, name, scope, scopeRef: REF[scope], tenantId: 't1', ...extra,
});

describe('scopeRefFor', () => {
  for (const scope of SCOPES) {
    test(`the ${scope} level is identified by ${scope === 'tenant' ? 'nothing' : REF[scope]}`, () => assert.equal(scopeRefFor(scope, coords), REF[scope]));
  }
  test('a level whose coordinate is missing has no ref', () => assert.equal(scopeRefFor('session', { tenantId: 't1' }), null));
  test('an empty coordinate counts as missing', () => assert.equal(scopeRefFor('user', { tenantId: 't1', userId: '' }), null));
});

describe('resolution', () => {
  for (const scope of SCOPES) {
    test(`a secret that exists only at ${scope} scope is found there`, () => {
      const r = resolveSecret([at(scope)], 'openai', coords);
      assert.equal(r.scope, scope);
      assert.equal(r.secret?.id, `${scope}-openai`);
    });
  }
  SCOPES.forEach((winner, i) => {
    for (const loser of SCOPES.slice(i + 1)) {
      test(`${winner} wins over ${loser}`, () => {
        const r = resolveSecret([at(loser), at(winner)], 'openai', coords);
        assert.equal(r.scope, winner);
        assert.match(r.reason, new RegExp(`shadows ${loser}`));
      });
    }
  });
  const table: Array<[string, ReturnType<typeof at>[], string, Coordinates, string | null]> = [
    ['names are case-sensitive', [at('tenant', 'OpenAI')], 'openai', coords, null],
    ['a user secret of another user is not seen', [at('user', 'openai', { scopeRef: 'u2' })], 'openai', coords, null],
    ['a session secret is not seen by a sandbox without a session', [at('session')], 'openai', { ...coords, sessionId: null }, null],
    ['a secret of another tenant is never seen', [at('tenant', 'openai', { tenantId: 't2' })], 'openai', coords, null],
    ['the private user secret wins over the shared workspace one', [at('workspace'), at('user')], 'openai', coords, 'user-openai'],
    ['a sandbox with only a tenant sees tenant secrets', [at('tenant'), at('workspace')], 'openai', { tenantId: 't1' }, 'tenant-openai'],
  ];
  for (const [name, cands, want, c, id] of table) {
    test(name, () => assert.equal(resolveSecret(cands, want, c).secret?.id ?? null, id));
  }
  test('a miss says which levels were checked', () => {
    const r = resolveSecret([], 'openai', { tenantId: 't1', userId: 'u1' });
    assert.equal(r.secret, null);
    assert.match(r.reason, /no secret named "openai".*user "u1", tenant/);
  });
});

describe('explain', () => {
  test('every level is listed with hit, shadowed, miss or not applicable', () => {
    const e = explainResolution([at('tenant'), at('user')], 'openai', { ...coords, sessionId: null });
    assert.deepEqual(
      e.steps.map((s) => [s.scope, s.status]),
      [['sandbox', 'miss'], ['session', 'not_applicable'], ['external_user', 'miss'], ['external_workspace', 'miss'], ['user', 'hit'], ['workspace', 'miss'], ['tenant', 'shadowed']],
    );
    assert.equal(e.result.scope, 'user');
  });
});
