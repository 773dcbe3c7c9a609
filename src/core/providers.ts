/**
 * The provider catalog (DESIGN.md §1): for well-known APIs, the hosts a credential may
 * authenticate, where the credential goes, and the shape clients expect. `provider: "openai"` on
 * secret creation fills in the hosts from here. Data only; the proxy finds placeholders wherever
 * they are, so `auth` documents the usual placement (for docs, the dashboard and generated
 * snippets) rather than restricting it.
 */

/** How a provider expects the credential. `{value}` in `format` stands for the credential. */
export type CredentialPlacement =
  | { kind: 'header'; name: string; format: string }
  /** HTTP Basic (RFC 7617) with the credential as the password; `username` when it is fixed. */
  | { kind: 'basic'; username?: string }
  | { kind: 'query'; param: string };

/** One catalog entry. */
export interface Provider {
  id: string;
  name: string;
  /**
   * Host rules (core/hosts.ts syntax) the credential may go to. Empty when each customer has
   * their own host under a shared domain (see `hostHint`): a wildcard over the shared domain
   * would send the key to other customers' code.
   */
  hosts: readonly string[];
  /** For providers without fixed hosts: what the user must give, e.g. `<project>.supabase.co`. */
  hostHint?: string;
  auth: CredentialPlacement;
  docsUrl: string;
  /**
   * Prepended to the placeholder (`sk-stn_ph_…`) for clients that check a key's shape before
   * sending it. The swap replaces prefix and placeholder together.
   */
  placeholderPrefix?: string;
  /** Default environment variable, the one the provider's SDK and CLI read. */
  exposeAs: string;
}

const bearer: CredentialPlacement = { kind: 'header', name: 'Authorization', format: 'Bearer {value}' };
const header = (name: string, format = '{value}'): CredentialPlacement => ({ kind: 'header', name, format });

const CATALOG: readonly Provider[] = [
  // --- model APIs
  { id: 'openai', name: 'OpenAI', hosts: ['api.openai.com'], auth: bearer, docsUrl: 'https://platform.openai.com/docs/api-reference/authentication', placeholderPrefix: 'sk-', exposeAs: 'OPENAI_API_KEY' },
  { id: 'anthropic', name: 'Anthropic', hosts: ['api.anthropic.com'], auth: header('x-api-key'), docsUrl: 'https://docs.anthropic.com/en/api/overview', placeholderPrefix: 'sk-ant-', exposeAs: 'ANTHROPIC_API_KEY' },
  { id: 'gemini', name: 'Google Gemini', hosts: ['generativelanguage.googleapis.com'], auth: header('x-goog-api-key'), docsUrl: 'https://ai.google.dev/gemini-api/docs/api-key', exposeAs: 'GEMINI_API_KEY' },
  { id: 'openrouter', name: 'OpenRouter', hosts: ['openrouter.ai'], auth: bearer, docsUrl: 'https://openrouter.ai/docs/api-reference/authentication', placeholderPrefix: 'sk-or-', exposeAs: 'OPENROUTER_API_KEY' },
  { id: 'mistral', name: 'Mistral AI', hosts: ['api.mistral.ai', 'codestral.mistral.ai'], auth: bearer, docsUrl: 'https://docs.mistral.ai/api/', exposeAs: 'MISTRAL_API_KEY' },
  { id: 'groq', name: 'Groq', hosts: ['api.groq.com'], auth: bearer, docsUrl: 'https://console.groq.com/docs/api-reference', placeholderPrefix: 'gsk_', exposeAs: 'GROQ_API_KEY' },
  { id: 'cohere', name: 'Cohere', hosts: ['api.cohere.com', 'api.cohere.ai'], auth: bearer, docsUrl: 'https://docs.cohere.com/reference/about', exposeAs: 'CO_API_KEY' },
  { id: 'huggingface', name: 'Hugging Face', hosts: ['huggingface.co', '*.huggingface.co'], auth: bearer, docsUrl: 'https://huggingface.co/docs/hub/security-tokens', placeholderPrefix: 'hf_', exposeAs: 'HF_TOKEN' },
  { id: 'deepseek', name: 'DeepSeek', hosts: ['api.deepseek.com'], auth: bearer, docsUrl: 'https://api-docs.deepseek.com/', placeholderPrefix: 'sk-', exposeAs: 'DEEPSEEK_API_KEY' },
  { id: 'together', name: 'Together AI', hosts: ['api.together.xyz', 'api.together.ai'], auth: bearer, docsUrl: 'https://docs.together.ai/reference/authentication-1', exposeAs: 'TOGETHER_API_KEY' },
  { id: 'fireworks', name: 'Fireworks AI', hosts: ['api.fireworks.ai'], auth: bearer, docsUrl: 'https://docs.fireworks.ai/api-reference/introduction', exposeAs: 'FIREWORKS_API_KEY' },
  { id: 'perplexity', name: 'Perplexity', hosts: ['api.perplexity.ai'], auth: bearer, docsUrl: 'https://docs.perplexity.ai/', placeholderPrefix: 'pplx-', exposeAs: 'PERPLEXITY_API_KEY' },
  { id: 'xai', name: 'xAI', hosts: ['api.x.ai'], auth: bearer, docsUrl: 'https://docs.x.ai/docs/api-reference', placeholderPrefix: 'xai-', exposeAs: 'XAI_API_KEY' },
  { id: 'replicate', name: 'Replicate', hosts: ['api.replicate.com'], auth: bearer, docsUrl: 'https://replicate.com/docs/reference/http', placeholderPrefix: 'r8_', exposeAs: 'REPLICATE_API_TOKEN' },
  { id: 'elevenlabs', name: 'ElevenLabs', hosts: ['api.elevenlabs.io'], auth: header('xi-api-key'), docsUrl: 'https://elevenlabs.io/docs/api-reference/authentication', exposeAs: 'ELEVENLABS_API_KEY' },
  { id: 'pinecone', name: 'Pinecone', hosts: ['api.pinecone.io', '*.pinecone.io'], auth: header('Api-Key'), docsUrl: 'https://docs.pinecone.io/reference/api/authentication', placeholderPrefix: 'pcsk_', exposeAs: 'PINECONE_API_KEY' },
  // --- code, build and deploy
  { id: 'github', name: 'GitHub', hosts: ['api.github.com', 'github.com', 'uploads.github.com', '*.githubusercontent.com'], auth: bearer, docsUrl: 'https://docs.github.com/en/rest/authentication/authenticating-to-the-rest-api', placeholderPrefix: 'ghp_', exposeAs: 'GITHUB_TOKEN' },
  { id: 'gitlab', name: 'GitLab', hosts: ['gitlab.com'], auth: header('PRIVATE-TOKEN'), docsUrl: 'https://docs.gitlab.com/api/rest/authentication/', placeholderPrefix: 'glpat-', exposeAs: 'GITLAB_TOKEN' },
  { id: 'vercel', name: 'Vercel', hosts: ['api.vercel.com'], auth: bearer, docsUrl: 'https://vercel.com/docs/rest-api', exposeAs: 'VERCEL_TOKEN' },
  { id: 'cloudflare', name: 'Cloudflare', hosts: ['api.cloudflare.com'], auth: bearer, docsUrl: 'https://developers.cloudflare.com/fundamentals/api/get-started/create-token/', exposeAs: 'CLOUDFLARE_API_TOKEN' },
  { id: 'netlify', name: 'Netlify', hosts: ['api.netlify.com'], auth: bearer, docsUrl: 'https://docs.netlify.com/api/get-started/', exposeAs: 'NETLIFY_AUTH_TOKEN' },
  { id: 'npm', name: 'npm registry', hosts: ['registry.npmjs.org'], auth: bearer, docsUrl: 'https://docs.npmjs.com/about-access-tokens', placeholderPrefix: 'npm_', exposeAs: 'NPM_TOKEN' },
  { id: 'pypi', name: 'PyPI (uploads)', hosts: ['upload.pypi.org'], auth: { kind: 'basic', username: '__token__' }, docsUrl: 'https://pypi.org/help/#apitoken', placeholderPrefix: 'pypi-', exposeAs: 'TWINE_PASSWORD' },
  { id: 'dockerhub', name: 'Docker Hub', hosts: ['hub.docker.com', 'auth.docker.io'], auth: { kind: 'basic' }, docsUrl: 'https://docs.docker.com/security/for-developers/access-tokens/', placeholderPrefix: 'dckr_pat_', exposeAs: 'DOCKERHUB_TOKEN' },
  // --- payments and messaging
  { id: 'stripe', name: 'Stripe', hosts: ['api.stripe.com', 'files.stripe.com'], auth: bearer, docsUrl: 'https://docs.stripe.com/api/authentication', placeholderPrefix: 'sk_', exposeAs: 'STRIPE_API_KEY' },
  { id: 'twilio', name: 'Twilio', hosts: ['*.twilio.com'], auth: { kind: 'basic' }, docsUrl: 'https://www.twilio.com/docs/usage/requests-to-twilio', exposeAs: 'TWILIO_AUTH_TOKEN' },
  { id: 'sendgrid', name: 'SendGrid', hosts: ['api.sendgrid.com'], auth: bearer, docsUrl: 'https://www.twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/authentication', placeholderPrefix: 'SG.', exposeAs: 'SENDGRID_API_KEY' },
  { id: 'resend', name: 'Resend', hosts: ['api.resend.com'], auth: bearer, docsUrl: 'https://resend.com/docs/api-reference/introduction', placeholderPrefix: 're_', exposeAs: 'RESEND_API_KEY' },
  { id: 'mailgun', name: 'Mailgun', hosts: ['api.mailgun.net', 'api.eu.mailgun.net'], auth: { kind: 'basic', username: 'api' }, docsUrl: 'https://documentation.mailgun.com/docs/mailgun/api-reference/authentication', exposeAs: 'MAILGUN_API_KEY' },
  { id: 'postmark', name: 'Postmark', hosts: ['api.postmarkapp.com'], auth: header('X-Postmark-Server-Token'), docsUrl: 'https://postmarkapp.com/developer/api/overview', exposeAs: 'POSTMARK_SERVER_TOKEN' },
  { id: 'slack', name: 'Slack', hosts: ['slack.com'], auth: bearer, docsUrl: 'https://api.slack.com/authentication/token-types', placeholderPrefix: 'xoxb-', exposeAs: 'SLACK_BOT_TOKEN' },
  // --- productivity and operations
  { id: 'notion', name: 'Notion', hosts: ['api.notion.com'], auth: bearer, docsUrl: 'https://developers.notion.com/reference/authentication', placeholderPrefix: 'ntn_', exposeAs: 'NOTION_TOKEN' },
  { id: 'linear', name: 'Linear', hosts: ['api.linear.app'], auth: header('Authorization'), docsUrl: 'https://linear.app/developers/graphql', placeholderPrefix: 'lin_api_', exposeAs: 'LINEAR_API_KEY' },
  { id: 'airtable', name: 'Airtable', hosts: ['api.airtable.com'], auth: bearer, docsUrl: 'https://airtable.com/developers/web/api/authentication', placeholderPrefix: 'pat', exposeAs: 'AIRTABLE_API_KEY' },
  { id: 'sentry', name: 'Sentry', hosts: ['sentry.io', '*.sentry.io'], auth: bearer, docsUrl: 'https://docs.sentry.io/api/auth/', exposeAs: 'SENTRY_AUTH_TOKEN' },
  { id: 'pagerduty', name: 'PagerDuty', hosts: ['api.pagerduty.com'], auth: header('Authorization', 'Token token={value}'), docsUrl: 'https://developer.pagerduty.com/docs/authentication', exposeAs: 'PAGERDUTY_TOKEN' },
  { id: 'datadog', name: 'Datadog', hosts: ['*.datadoghq.com', '*.datadoghq.eu', '*.ddog-gov.com'], auth: header('DD-API-KEY'), docsUrl: 'https://docs.datadoghq.com/api/latest/authentication/', exposeAs: 'DD_API_KEY' },
  { id: 'supabase', name: 'Supabase', hosts: [], hostHint: '<project-ref>.supabase.co', auth: header('apikey'), docsUrl: 'https://supabase.com/docs/guides/api/api-keys', exposeAs: 'SUPABASE_SERVICE_ROLE_KEY' },
];

for (const p of CATALOG) Object.freeze(p);
const BY_ID = new Map(CATALOG.map((p) => [p.id, p]));

/** The provider with this id, or undefined. */
export function getProvider(id: string): Provider | undefined {
  return BY_ID.get(id);
}

/** Every provider, in catalog order (a fresh array; the entries are frozen). */
export function listProviders(): Provider[] {
  return [...CATALOG];
}
