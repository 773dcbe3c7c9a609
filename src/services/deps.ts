import type { Store } from '../store/store.js';
import type { ValueCipher } from '../crypto/vault-cipher.js';
import type { Scrubber } from '../log/scrubber.js';

/** What the services need, handed in by main.ts (or a test). */
export interface ServiceDeps {
  store: Store;
  cipher: ValueCipher;
  scrubber: Scrubber;
}
