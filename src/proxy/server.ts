import type { Core } from '../main.js';

/** The egress proxy's listener. Being written: see issue 3. */
export async function startProxy(_deps: { core: Core }): Promise<{ port: number; close(): Promise<void> }> {
  throw new Error('the egress proxy is not implemented yet');
}
