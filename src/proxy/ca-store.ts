import type { Keyring } from '../crypto/keyring.js';
import { newDataKey, rewrapDataKey, unwrapDataKey, wrapDataKey } from '../crypto/dek.js';
import { open, seal } from '../crypto/envelope.js';
import type { SettingsRepo } from '../store/repos/settings.js';
import type { CaMaterial, CaStore } from './ca.js';

const KEY = 'proxy_ca';
// The CA private key is sealed with its own data key, wrapped by the root key exactly like a
// tenant's DEK (under a reserved "tenant" id), so `keyring rotate` re-wraps it the same way.
const CA_KEY_OWNER = 'system-proxy-ca';
const CA_AAD = 'standin/v1|system|proxy-ca|key';

interface Stored {
  certPem: string;
  wrappedDek: string;
  keyBlob: string;
}

/** Keeps the interception CA in the settings table with its private key encrypted by the keyring. */
export function settingsCaStore(settings: SettingsRepo, keyring: () => Keyring): CaStore & { rewrap(): Promise<boolean> } {
  return {
    async load(): Promise<CaMaterial | null> {
      const raw = await settings.get(KEY);
      if (!raw) return null;
      const s = JSON.parse(raw) as Stored;
      const dek = unwrapDataKey(keyring(), CA_KEY_OWNER, Buffer.from(s.wrappedDek, 'base64'));
      try {
        return { certPem: s.certPem, keyPem: open(() => dek, Buffer.from(s.keyBlob, 'base64'), CA_AAD).toString('utf8') };
      } finally {
        dek.fill(0);
      }
    },
    async save(m: CaMaterial): Promise<void> {
      const dek = newDataKey();
      try {
        const stored: Stored = {
          certPem: m.certPem,
          wrappedDek: wrapDataKey(keyring(), CA_KEY_OWNER, dek).toString('base64'),
          keyBlob: seal(dek, 'ca', Buffer.from(m.keyPem, 'utf8'), CA_AAD).toString('base64'),
        };
        await settings.set(KEY, JSON.stringify(stored), new Date().toISOString());
      } finally {
        dek.fill(0);
      }
    },
    /** Re-wraps the CA's data key under the active root key; false when there is no CA yet. */
    async rewrap(): Promise<boolean> {
      const raw = await settings.get(KEY);
      if (!raw) return false;
      const s = JSON.parse(raw) as Stored;
      s.wrappedDek = rewrapDataKey(keyring(), CA_KEY_OWNER, Buffer.from(s.wrappedDek, 'base64')).toString('base64');
      await settings.set(KEY, JSON.stringify(s), new Date().toISOString());
      return true;
    },
  };
}
