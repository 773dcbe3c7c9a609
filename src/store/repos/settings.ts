import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

/** Small instance-wide documents (the proxy CA, for one), keyed by name. */
export class SettingsRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async get(key: string): Promise<string | null> {
    const r = await this.db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
    return r ? r.value : null;
  }

  /** Inserts the value unless the key exists; returns the value that is stored afterwards. */
  async putIfAbsent(key: string, value: string, at: string): Promise<string> {
    await this.db.insertInto('settings').values({ key, value, updated_at: at }).onConflict((oc) => oc.column('key').doNothing()).execute();
    return (await this.get(key)) ?? value;
  }

  async set(key: string, value: string, at: string): Promise<void> {
    await this.db
      .insertInto('settings')
      .values({ key, value, updated_at: at })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: at }))
      .execute();
  }
}
