import type { StandinError } from '../../core/errors.js';
import { BareLayout, Brand, type Chrome } from './layout.js';
import { Csrf, ErrorNotice, Field, FlashNotice } from './ui.js';

export function SignInPage(props: { chrome: Chrome; csrf: string; notice?: string; error?: StandinError | null }) {
  return (
    <BareLayout title="Sign in" chrome={props.chrome}>
      <div class="auth-card card">
        <Brand />
        <h1>Sign in</h1>
        <p class="muted">Use an API key. The dashboard keeps you signed in for a few hours; the key itself never goes into a cookie.</p>
        <FlashNotice name={props.notice} />
        <ErrorNotice error={props.error} />
        <form method="post" action="/sign-in">
          <Csrf token={props.csrf} />
          <Field id="api-key" label="API key" hint={<>Starts with <code>stn_live_</code>, <code>stn_test_</code> or <code>stn_u_</code>. <code>standin init</code> prints the first one.</>}>
            <input
              type="password" id="api-key" name="api_key" required autocomplete="off" spellcheck={false}
              aria-describedby="api-key-hint" aria-invalid={props.error ? 'true' : undefined} autofocus
            />
          </Field>
          <button type="submit" class="btn">Sign in</button>
        </form>
      </div>
    </BareLayout>
  );
}
