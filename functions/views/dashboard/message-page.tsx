import { Layout } from "./layout.js";

/** A refusal or a problem, said plainly: what happened and what to do about it. */
export function MessagePage(props: { status: number; code: string; title: string; message: string; requestId: string }) {
  return (
    <Layout title={`${props.title} · runledger`}>
      <main class="message">
        <section class="card" data-error-code={props.code}>
          <p class="code">
            {props.status} · {props.code}
          </p>
          <h1>{props.title}</h1>
          <p>{props.message}</p>
          <p class="muted">
            Ask for a fresh link: the key holder with <code>POST /v1/dashboard-link</code>, an administrator with{" "}
            <code>POST /admin/keys/{"{id}"}/dashboard-link</code> or the form at <a href="/dashboard">/dashboard</a>.
          </p>
          <p class="muted">
            Request id <code>{props.requestId}</code>
          </p>
        </section>
      </main>
    </Layout>
  );
}

/** The administrator's way in from a browser: key id and admin token, answered with a signed link. */
export function SignInPage(props: { keyId?: string; error?: string }) {
  return (
    <Layout title="Cost dashboard · runledger">
      <main class="message">
        <section class="card">
          <h1>Cost dashboard</h1>
          <p class="muted">Open any key's dashboard with the admin token. You are sent on to a link that works for 15 minutes.</p>
          {props.error ? <p data-error-code="unauthorized">{props.error}</p> : null}
          <form method="post" action="/dashboard">
            <label>
              Key id
              <input name="key" required pattern="key_[0-9a-z]{24}" placeholder="key_…" value={props.keyId ?? ""} />
            </label>
            <label>
              Admin token
              <input name="token" type="password" required autocomplete="off" />
            </label>
            <button type="submit">Open dashboard</button>
          </form>
        </section>
      </main>
    </Layout>
  );
}
