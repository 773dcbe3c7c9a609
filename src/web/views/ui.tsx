/** Small building blocks shared by the pages. hono/jsx escapes every text and attribute. */
import type { Child } from 'hono/jsx';
import { StandinError } from '../../core/errors.js';
import { CSRF_FIELD } from '../csrf.js';
import { fmtTime, relTime } from '../format.js';
import { NOTICES } from '../notices.js';

type Tone = 'success' | 'error' | 'warn' | 'info';

export function Notice(props: { tone: Tone; title?: string; children?: Child }) {
  // Errors interrupt (role=alert); confirmations are announced politely.
  return (
    <div class={`notice notice-${props.tone}`} role={props.tone === 'error' ? 'alert' : 'status'}>
      {props.title ? <strong>{props.title}</strong> : null}
      {props.children}
    </div>
  );
}

/** The error of a failed action, shown in place above the form. */
export function ErrorNotice(props: { error: StandinError | string | null | undefined }) {
  if (!props.error) return null;
  const message = typeof props.error === 'string' ? props.error : props.error.message;
  return (
    <Notice tone="error" title="That did not work">
      <p>{message}</p>
    </Notice>
  );
}

/** The notice named by `?notice=` (fixed texts only), or nothing. */
export function FlashNotice(props: { name: string | undefined }) {
  const n = props.name ? NOTICES[props.name] : undefined;
  return n ? <Notice tone={n.tone}>{n.text}</Notice> : null;
}

export function Csrf(props: { token: string }) {
  return <input type="hidden" name={CSRF_FIELD} value={props.token} />;
}

/** A labelled form control: the label is always visible, hints are tied in with aria-describedby. */
export function Field(props: { id: string; label: string; hint?: Child; optional?: boolean; class?: string; children: Child }) {
  return (
    <div class={`field${props.class ? ` ${props.class}` : ''}`}>
      <label for={props.id}>
        {props.label}
        {props.optional ? <span class="optional"> (optional)</span> : null}
      </label>
      {props.children}
      {props.hint ? <span class="hint" id={`${props.id}-hint`}>{props.hint}</span> : null}
    </div>
  );
}

export function Empty(props: { title: string; children?: Child }) {
  return (
    <div class="empty">
      <h2>{props.title}</h2>
      {props.children}
    </div>
  );
}

export function Time(props: { at: string | null | undefined; empty?: string }) {
  if (!props.at) return <span class="muted">{props.empty ?? 'never'}</span>;
  return (
    <time datetime={props.at} title={fmtTime(props.at)} class="nowrap">
      {relTime(props.at)}
    </time>
  );
}

export function Badge(props: { tone?: 'ok' | 'danger' | 'warn' | 'info'; children: Child }) {
  return <span class={props.tone ? `badge badge-${props.tone}` : 'badge'}>{props.children}</span>;
}

export function Hosts(props: { hosts: readonly string[]; max?: number; empty?: string }) {
  if (props.hosts.length === 0) return <span class="muted">{props.empty ?? 'none'}</span>;
  const max = props.max ?? props.hosts.length;
  const shown = props.hosts.slice(0, max);
  return (
    <ul class="hosts">
      {shown.map((h) => (
        <li>
          <code>{h}</code>
        </li>
      ))}
      {props.hosts.length > max ? <li class="muted small">+{props.hosts.length - max} more</li> : null}
    </ul>
  );
}

/** A copy button for the text of element `target`; hidden until the script shows it (it needs JS). */
export function CopyButton(props: { target: string; label: string }) {
  return (
    <button type="button" class="btn btn-secondary btn-small" data-copy={props.target} hidden>
      {props.label}
    </button>
  );
}

/** A value shown once (API key, proxy URL, environment) with its copy button. */
export function OnceBlock(props: { id: string; label: string; text: string; copyLabel: string }) {
  return (
    <div class="once">
      <h3 id={`${props.id}-label`}>{props.label}</h3>
      <pre class="once-value" id={props.id} aria-labelledby={`${props.id}-label`} tabindex={0}>
        {props.text}
      </pre>
      <CopyButton target={props.id} label={props.copyLabel} />
    </div>
  );
}

export function Pager(props: { next: string | null | undefined; href: (cursor: string) => string; first?: string | null }) {
  if (!props.next && !props.first) return null;
  return (
    <nav class="pager" aria-label="Pages">
      {props.first ? <a class="btn btn-secondary btn-small" href={props.first}>First page</a> : null}
      {props.next ? <a class="btn btn-secondary btn-small" href={props.href(props.next)}>Next page</a> : null}
    </nav>
  );
}

export function DecisionBadge(props: { decision: string }) {
  const tone = props.decision === 'allowed' ? 'ok' : props.decision === 'blocked' ? 'danger' : 'warn';
  const text = props.decision === 'allowed' ? 'Allowed' : props.decision === 'blocked' ? 'Blocked' : 'Error';
  return <Badge tone={tone}>{text}</Badge>;
}

/** `…abcd`, or a note when the value is too short to show any of it. */
export function Preview(props: { preview: string | null }) {
  if (!props.preview) return <span class="muted small" title="Values under 12 characters show no preview">hidden</span>;
  return (
    <span class="preview" title="Last 4 characters of the current value">
      <span aria-hidden="true">••••</span>
      <span class="sr-only">ending in </span>
      {props.preview}
    </span>
  );
}

export const isStandin = (e: unknown): e is StandinError => e instanceof StandinError;
