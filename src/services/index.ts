import type { ServiceDeps } from './deps.js';
import { KeysService } from './keys.js';
import { TenancyService } from './tenancy.js';
import { SecretsService } from './secrets.js';
import { SessionSecretsService } from './sessions.js';
import { SandboxesService, type ProxyInfo } from './sandboxes.js';
import { AuditService } from './audit.js';

/** The domain services the API, the dashboard and the proxy share. */
export interface Services {
  deps: ServiceDeps;
  keys: KeysService;
  tenancy: TenancyService;
  secrets: SecretsService;
  sessions: SessionSecretsService;
  sandboxes: SandboxesService;
  audit: AuditService;
}

export function createServices(deps: ServiceDeps, proxy: ProxyInfo): Services {
  const secrets = new SecretsService(deps);
  return {
    deps,
    keys: new KeysService(deps),
    tenancy: new TenancyService(deps),
    secrets,
    sessions: new SessionSecretsService(deps, secrets),
    sandboxes: new SandboxesService(deps, secrets, proxy),
    audit: new AuditService(deps),
  };
}

export type { Actor } from './actor.js';
export type { ProxyInfo } from './sandboxes.js';
