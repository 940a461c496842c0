import { useState, type FormEvent } from 'react';
import { session as sessionApi } from '../../api/resources.ts';
import { navigate, useSearch } from '../../app/router.tsx';
import { useApi } from '../../app/use-api.ts';
import { InlineError } from '../../components/states.tsx';
import { Field } from '../../components/widgets.tsx';

/** Sign-in with email and password; the server answers with an httpOnly session cookie. */
export function SignInPage({ onSignedIn }: { onSignedIn: () => void }) {
  const { search } = useSearch();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // Public and cheap: tells whether the instance was just created, to show the first-start help.
  const status = useApi(() => sessionApi.demoStatus(), []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await sessionApi.login(email, password);
      onSignedIn();
      const next = search.get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="signin">
      <form className="card signin-card" onSubmit={(e) => void submit(e)}>
        <div className="signin-brand">
          <svg viewBox="0 0 32 32" className="brand-mark" aria-hidden="true">
            <circle cx="13" cy="13" r="9" fill="none" strokeWidth="4" />
            <path d="M20 20l8 8" strokeWidth="4" strokeLinecap="round" />
          </svg>
          <h1>Sign in to Loupe</h1>
        </div>
        <Field label="Email">
          <input type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} name="email" />
        </Field>
        <Field label="Password">
          <input type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} name="password" />
        </Field>
        <InlineError error={error} />
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      {(status.data?.firstStart || status.error !== undefined) && <FirstStart />}
    </div>
  );
}

/** What the administrator of a brand-new instance needs to know to get in. */
function FirstStart() {
  return (
    <section className="card first-start" aria-label="First start">
      <h2>First start</h2>
      <p>
        On its first start Loupe created the administrator <code>admin@localhost</code> and printed its password and API token once in the
        server&rsquo;s output, in lines like:
      </p>
      <pre className="code-block">{'Sign in to the web app at http://127.0.0.1:3000 as admin@localhost\nwith the password <generated> (shown once; …)'}</pre>
      <p>
        Sign in with that password. To choose it yourself, start the server with <code>LOUPE_ADMIN_PASSWORD</code> (and{' '}
        <code>LOUPE_ADMIN_TOKEN</code> for the token) set on an empty data directory.
      </p>
      <p>Once signed in, an administrator can load a small demo project from the projects page, or run <code>npm run demo</code>.</p>
    </section>
  );
}
