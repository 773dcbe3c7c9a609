import { z } from '@hono/zod-openapi';
import { API_SCOPES, SCOPES, SECRET_TYPES } from '../core/types.js';

/** Shared OpenAPI/zod schemas. Request schemas are strict: unknown fields are a 400, not ignored. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'not_found' }),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
      requestId: z.string().optional(),
    }),
  })
  .openapi('Error');

export const ScopeEnum = z.enum(SCOPES);
export const ApiScopeEnum = z.enum(API_SCOPES);

export const SecretSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    type: z.enum(SECRET_TYPES),
    provider: z.string().nullable(),
    scope: ScopeEnum,
    scopeRef: z.string(),
    hosts: z.array(z.string()),
    exposeAs: z.string(),
    description: z.string().nullable(),
    preview: z.string().nullable().openapi({ description: 'Last 4 characters of the value (values of 12+ characters only).' }),
    version: z.number().int(),
    allowInsecureHttp: z.boolean(),
    bodyPlaceholders: z.boolean(),
    autoBind: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
    lastUsedAt: z.string().nullable(),
  })
  .openapi('Secret');

export const VersionSchema = z
  .object({ version: z.number().int(), preview: z.string().nullable(), createdAt: z.string(), createdBy: z.string().nullable() })
  .openapi('SecretVersion');

export const CreateSecretSchema = z
  .strictObject({
    name: z.string(),
    value: z.string().openapi({ description: 'Write-only. Refused when empty, over 64 KiB, or containing CR, LF or NUL.' }),
    username: z.string().optional().openapi({ description: 'For type "basic".' }),
    type: z.enum(SECRET_TYPES).optional(),
    provider: z.string().nullable().optional(),
    hosts: z.array(z.string()).optional(),
    scope: ScopeEnum.optional(),
    scopeId: z.string().optional(),
    exposeAs: z.string().optional(),
    description: z.string().max(1000).nullable().optional(),
    allowInsecureHttp: z.boolean().optional(),
    bodyPlaceholders: z.boolean().optional(),
    autoBind: z.boolean().optional(),
    ifExists: z.enum(['error', 'rotate']).optional(),
  })
  .openapi('CreateSecret');

export const UpdateSecretSchema = z
  .strictObject({
    hosts: z.array(z.string()).optional(),
    description: z.string().max(1000).nullable().optional(),
    exposeAs: z.string().optional(),
    allowInsecureHttp: z.boolean().optional(),
    bodyPlaceholders: z.boolean().optional(),
    autoBind: z.boolean().optional(),
  })
  .openapi('UpdateSecret');

export const RotateSchema = z.strictObject({ value: z.string(), username: z.string().optional() }).openapi('Rotate');

export const ApiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(['live', 'test', 'user']),
    prefix: z.string(),
    userId: z.string(),
    workspaceId: z.string().nullable(),
    scopes: z.array(ApiScopeEnum),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .openapi('ApiKey');

export const CreateApiKeySchema = z
  .strictObject({
    name: z.string().min(1).max(100),
    scopes: z.array(ApiScopeEnum).optional(),
    userId: z.string().optional(),
    workspaceId: z.string().nullable().optional(),
    kind: z.enum(['live', 'test']).optional(),
    expiresAt: z.string().nullable().optional(),
  })
  .openapi('CreateApiKey');

export const AuditEventSchema = z
  .object({
    id: z.string(), seq: z.number().int(), at: z.string(), requestId: z.string().nullable(), apiKeyId: z.string().nullable(),
    actor: z.string(), workspaceId: z.string().nullable(), externalWorkspace: z.string().nullable(), externalUser: z.string().nullable(),
    action: z.string(), target: z.string().nullable(), outcome: z.enum(['success', 'denied', 'error']),
    details: z.record(z.string(), z.unknown()), prevHash: z.string(), hash: z.string(),
  })
  .openapi('AuditEvent');

export const EgressEventSchema = z
  .object({
    id: z.string(), sandboxId: z.string(), at: z.string(), method: z.string(), scheme: z.enum(['http', 'https']), host: z.string(),
    port: z.number().int(), path: z.string(), status: z.number().int().nullable(), bytesIn: z.number(), bytesOut: z.number(),
    durationMs: z.number(), decision: z.enum(['allowed', 'blocked', 'error']), reason: z.string().nullable(),
    secrets: z.array(z.object({ binding: z.string(), secret: z.string(), version: z.number().int() })),
  })
  .openapi('EgressEvent');

export const WorkspaceSchema = z.object({ id: z.string(), name: z.string(), createdAt: z.string() }).openapi('Workspace');
export const UserSchema = z
  .object({ id: z.string(), name: z.string(), email: z.string().nullable(), role: z.enum(['admin', 'member']), createdAt: z.string() })
  .openapi('User');

export const CoordinatesQuery = z.object({
  workspaceId: z.string().optional(),
  userId: z.string().optional(),
  externalWorkspace: z.string().optional(),
  externalUser: z.string().optional(),
  sessionId: z.string().optional(),
  sandboxId: z.string().optional(),
});

export const ScopeQuery = z.object({ scope: ScopeEnum.optional(), scopeId: z.string().optional() });

export const PageQuery = z.object({
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

export const listOf = <T extends z.ZodTypeAny>(item: T) => z.object({ data: z.array(item), nextCursor: z.string().nullable() });

export const errorResponses = {
  400: { description: 'Invalid request', content: { 'application/json': { schema: ErrorSchema } } },
  401: { description: 'Missing, invalid, revoked or expired API key', content: { 'application/json': { schema: ErrorSchema } } },
  403: { description: 'The key lacks a scope or permission', content: { 'application/json': { schema: ErrorSchema } } },
  429: { description: 'Rate limited', content: { 'application/json': { schema: ErrorSchema } } },
} as const;

export const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
