/**
 * Messages shown after a redirect (`?notice=…`). Only these fixed texts can appear: a link
 * cannot put words of its own into the page.
 */
export const NOTICES: Record<string, { tone: 'success' | 'info' | 'warn'; text: string }> = {
  'secret-created': { tone: 'success', text: 'Secret saved. Its value is stored encrypted and will not be shown again.' },
  'secret-updated': { tone: 'success', text: 'Changes saved.' },
  'secret-rotated': { tone: 'success', text: 'Secret rotated. Sandboxes use the new version on their next request.' },
  'secret-deleted': { tone: 'success', text: 'Secret deleted. Sandboxes bound to it can no longer use it.' },
  'sandbox-deleted': { tone: 'success', text: 'Sandbox deleted. Its placeholders and proxy credential stopped working.' },
  'key-revoked': { tone: 'success', text: 'API key revoked. It stops working on its next request.' },
  'signed-out': { tone: 'info', text: 'You are signed out.' },
  expired: { tone: 'warn', text: 'Your session expired. Sign in again.' },
  revoked: { tone: 'warn', text: 'The API key of your session was revoked. Sign in with another key.' },
  'key-expired': { tone: 'warn', text: 'The API key of your session has expired. Sign in with another key.' },
  'invalid-key': { tone: 'warn', text: 'The API key of your session is no longer valid. Sign in again.' },
};
