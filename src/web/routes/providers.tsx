import type { Hono } from 'hono';
import { listProviders } from '../../core/providers.js';
import type { WebEnv } from '../env.js';
import { page, type WebCtx } from '../context.js';
import { ProvidersPage } from '../views/providers.js';

/** `/providers`: the catalog, and what each provider does with a credential. */
export function providerRoutes(app: Hono<WebEnv>, ctx: WebCtx): void {
  app.get('/providers', (c) => page(ctx, c, { title: 'Providers', section: 'providers', body: <ProvidersPage providers={listProviders()} /> }));
}
