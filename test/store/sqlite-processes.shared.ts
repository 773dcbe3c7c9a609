import { randomId } from '../../src/crypto/tokens.js';
import type { Store } from '../../src/store/store.js';

/**
 * `count` transactions that each read the chain head, wait a moment (as a mutation does while it
 * encrypts), then append: the shape that breaks when another process commits in between.
 */
export async function appendSlowly(store: Store, tenantId: string, actor: string, count: number): Promise<{ ok: number; failed: number; errors: string[]; startedAt: number; endedAt: number }> {
  const startedAt = Date.now();
  let ok = 0;
  const errors: string[] = [];
  for (let i = 0; i < count; i++) {
    try {
      await store.transaction(async (tx) => {
        await tx.audit.head(tenantId);
        await new Promise((r) => setTimeout(r, 1));
        await tx.audit.append({
          id: randomId('aud_'), tenantId, at: new Date().toISOString(), requestId: null, apiKeyId: null, actor,
          workspaceId: null, externalWorkspace: null, externalUser: null, action: `test.${actor}`, target: String(i), outcome: 'success', details: { i },
        });
      });
      ok++;
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  return { ok, failed: errors.length, errors: errors.slice(0, 3), startedAt, endedAt: Date.now() };
}
