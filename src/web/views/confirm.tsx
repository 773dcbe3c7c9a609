import type { Child } from 'hono/jsx';
import { PageHead } from './layout.js';
import { Csrf } from './ui.js';

/** "Are you sure?" as a page of its own, so destructive actions need no JavaScript. */
export function Confirm(props: {
  title: string; crumb: { href: string; label: string }; children: Child; action: string; button: string; cancelHref: string; csrf: string;
}) {
  return (
    <>
      <PageHead title={props.title} crumb={props.crumb} />
      <section class="card danger-zone" aria-label="Confirm">
        {props.children}
        <form method="post" action={props.action} class="actions">
          <Csrf token={props.csrf} />
          <button type="submit" class="btn btn-danger">{props.button}</button>
          <a class="btn btn-secondary" href={props.cancelHref}>Cancel</a>
        </form>
      </section>
    </>
  );
}
