import { BareLayout, Brand, Layout, PageHead, type Chrome } from './layout.js';

const TITLES: Record<number, string> = {
  400: 'That request was not valid',
  401: 'Sign in required',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict',
  413: 'Too large',
  429: 'Too many requests',
};

/** A whole-page error: the message of the StandinError, and a way back. */
export function ErrorPage(props: { chrome: Chrome; status: number; message: string; requestId?: string }) {
  const title = TITLES[props.status] ?? 'Something went wrong';
  const body = (
    <>
      <PageHead title={title} />
      <div class="notice notice-error" role="alert">
        <p>{props.message}</p>
        {props.requestId ? <p class="small muted">Request id: <code>{props.requestId}</code></p> : null}
      </div>
      <p>
        <a href={props.chrome.account ? '/secrets' : '/sign-in'}>{props.chrome.account ? 'Back to secrets' : 'Go to sign-in'}</a>
      </p>
    </>
  );
  if (props.chrome.account) {
    return <Layout title={title} chrome={props.chrome}>{body}</Layout>;
  }
  return (
    <BareLayout title={title} chrome={props.chrome}>
      <div class="auth-card card">
        <Brand />
        {body}
      </div>
    </BareLayout>
  );
}
