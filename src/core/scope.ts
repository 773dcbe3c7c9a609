/**
 * Scope resolution (DESIGN.md §4): which secret named N a sandbox with given coordinates sees.
 * Pure: the caller loads the candidates (every secret of the tenant named N, or more) and this
 * module picks the most specific one and says why.
 */
import { SCOPES, type Coordinates, type Scope } from './types.js';

/** The fields resolution looks at; `tenantId` is checked when present (defence in depth). */
export interface ScopedCandidate {
  scope: Scope;
  scopeRef: string;
  name: string;
  tenantId?: string;
}

/** Result of {@link resolveSecret}: the winning secret and where it came from, or why none. */
export type Resolution<T> =
  | { secret: T; scope: Scope; scopeRef: string; reason: string }
  | { secret: null; scope?: undefined; scopeRef?: undefined; reason: string };

/** One level of the walk, as shown by `standin secrets explain`. */
export interface ResolutionStep {
  scope: Scope;
  /** The coordinate that identifies this level for the sandbox, or null when it has none. */
  scopeRef: string | null;
  /**
   * `hit`: the level holds the name and wins; `shadowed`: it holds the name but a more specific
   * level won; `miss`: nothing there; `not_applicable`: the coordinates have no id for the level.
   */
  status: 'hit' | 'shadowed' | 'miss' | 'not_applicable';
}

/** Most to least specific, the order of DESIGN.md §4 (same as SCOPES). */
export const RESOLUTION_ORDER: readonly Scope[] = SCOPES;

const COORDINATE_OF: Record<Exclude<Scope, 'tenant'>, keyof Coordinates> = {
  sandbox: 'sandboxId',
  session: 'sessionId',
  external_user: 'externalUser',
  external_workspace: 'externalWorkspace',
  user: 'userId',
  workspace: 'workspaceId',
};

/**
 * The identifier of `scope` for these coordinates: sandbox → sandboxId, session → sessionId,
 * external_user → externalUser, external_workspace → externalWorkspace, user → userId,
 * workspace → workspaceId, tenant → '' (the tenant is implied). Null when the coordinates have no
 * such id (a sandbox without a session sees no session secrets).
 */
export function scopeRefFor(scope: Scope, coords: Coordinates): string | null {
  if (scope === 'tenant') return '';
  const v = coords[COORDINATE_OF[scope]];
  return typeof v === 'string' && v.length > 0 ? v : null;
}

function describe(scope: Scope, ref: string | null): string {
  return scope === 'tenant' ? 'tenant' : `${scope} ${JSON.stringify(ref ?? '')}`;
}

function levels<T extends ScopedCandidate>(candidates: readonly T[], name: string, coords: Coordinates) {
  return RESOLUTION_ORDER.map((scope) => {
    const scopeRef = scopeRefFor(scope, coords);
    const found =
      scopeRef === null
        ? undefined
        : candidates.find(
            (c) =>
              c.name === name &&
              c.scope === scope &&
              c.scopeRef === scopeRef &&
              (c.tenantId === undefined || c.tenantId === coords.tenantId),
          );
    return { scope, scopeRef, found };
  });
}

/**
 * Picks the secret named `name` (case-sensitive) that the coordinates see, walking
 * `sandbox > session > external_user > external_workspace > user > workspace > tenant` and taking
 * the first hit. Candidates from other tenants, other names or other scope ids are ignored.
 */
export function resolveSecret<T extends ScopedCandidate>(candidates: readonly T[], name: string, coords: Coordinates): Resolution<T> {
  const walked = levels(candidates, name, coords);
  const hits = walked.filter((l) => l.found !== undefined);
  const first = hits[0];
  if (first?.found) {
    const others = hits.length > 1 ? `; it shadows ${hits.slice(1).map((h) => h.scope).join(', ')}` : '';
    return {
      secret: first.found,
      scope: first.scope,
      scopeRef: first.scopeRef ?? '',
      reason: `secret ${JSON.stringify(name)} resolved at ${describe(first.scope, first.scopeRef)}${others}`,
    };
  }
  const checked = walked.filter((l) => l.scopeRef !== null).map((l) => describe(l.scope, l.scopeRef));
  return { secret: null, reason: `no secret named ${JSON.stringify(name)} is visible here (checked ${checked.join(', ')})` };
}

/**
 * Every level of the walk with hit/shadowed/miss/not_applicable, plus the result, for
 * `standin secrets explain` and the API's explain endpoint.
 */
export function explainResolution<T extends ScopedCandidate>(
  candidates: readonly T[],
  name: string,
  coords: Coordinates,
): { name: string; steps: ResolutionStep[]; result: Resolution<T> } {
  let won = false;
  const steps = levels(candidates, name, coords).map(({ scope, scopeRef, found }): ResolutionStep => {
    if (scopeRef === null) return { scope, scopeRef, status: 'not_applicable' };
    if (!found) return { scope, scopeRef, status: 'miss' };
    const status = won ? 'shadowed' : 'hit';
    won = true;
    return { scope, scopeRef, status };
  });
  return { name, steps, result: resolveSecret(candidates, name, coords) };
}
