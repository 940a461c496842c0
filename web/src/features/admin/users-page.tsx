import { useState, type FormEvent } from 'react';
import { users as usersApi } from '../../api/admin.ts';
import { Layout, PageHead } from '../../app/layout.tsx';
import { useSession } from '../../app/session.tsx';
import { useApi, useSubmit } from '../../app/use-api.ts';
import { confirmInApp, toast } from '../../components/feedback.tsx';
import { formatDate } from '../../components/format.ts';
import { Async, Empty, ErrorBox, InlineError, Loading } from '../../components/states.tsx';
import { Dialog, Field } from '../../components/widgets.tsx';

type User = Awaited<ReturnType<typeof usersApi.list>>['data'][number];

/** Instance administration: users and their API tokens (administrators only). */
export function UsersPage() {
  const { me } = useSession();
  const [q, setQ] = useState('');
  const [cursor, setCursor] = useState<string | undefined>();
  const list = useApi(() => usersApi.list(q, cursor), [q, cursor]);
  const [tokensOf, setTokensOf] = useState<User | null>(null);
  const [passwordOf, setPasswordOf] = useState<User | null>(null);
  // The list says who is deactivated (`deactivatedAt`); what this page changed since it loaded wins.
  const [changed, setChanged] = useState<Record<string, string | null>>({});
  const deactivatedAt = (u: User) => (u.id in changed ? changed[u.id] : u.deactivatedAt);
  const [error, setError] = useState<unknown>(null);
  const setActive = async (u: User, active: boolean) => {
    setError(null);
    if (!active && !(await confirmInApp({ title: `Deactivate ${u.name}?`, body: `${u.email} is signed out everywhere, their API tokens are revoked, and they cannot sign in until reactivated. Their work stays.`, confirmLabel: 'Deactivate' }))) return;
    try {
      const r = active ? await usersApi.reactivate(u.id) : await usersApi.deactivate(u.id);
      setChanged((d) => ({ ...d, [u.id]: r.deactivatedAt }));
      toast(active ? `${u.name} can sign in again` : `${u.name} is deactivated`);
    } catch (e) {
      setError(e);
    }
  };
  if (!me.isAdmin)
    return (
      <Layout>
        <PageHead title="Users" />
        <Empty title="Only administrators manage users.">Ask an administrator to add people or reset access.</Empty>
      </Layout>
    );
  return (
    <Layout>
      <PageHead title="Users" sub="People who can sign in. Sign-up is closed: accounts are created here." />
      <CreateUser onCreated={list.reload} />
      <div className="toolbar">
        <input type="search" aria-label="Search users" placeholder="Search by email or name" value={q} onChange={(e) => (setCursor(undefined), setQ(e.target.value))} />
      </div>
      <Async state={list} empty={(p) => (p.data.length === 0 ? <Empty title={q ? 'No user matches.' : 'No users yet.'} /> : null)}>
        {(page) => (
          <>
            <div className="table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Email</th>
                    <th>Role</th>
                    <th>Created</th>
                    <th>Access</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((u) => (
                    <tr key={u.id}>
                      <td>{u.name}</td>
                      <td>{u.email}</td>
                      <td>{u.isAdmin ? 'Administrator' : 'User'}</td>
                      <td>{formatDate(u.createdAt)}</td>
                      <td className="row">
                        <button type="button" className="btn" onClick={() => setTokensOf(u)}>
                          API tokens
                        </button>
                        {u.id !== me.id && (
                          <button type="button" className="btn" onClick={() => setPasswordOf(u)}>
                            Reset password
                          </button>
                        )}
                        {u.id !== me.id &&
                          (deactivatedAt(u) ? (
                            <>
                              <span className="sign" data-testid="deactivated" title={`Deactivated on ${formatDate(deactivatedAt(u))}`}>
                                deactivated {formatDate(deactivatedAt(u))}
                              </span>
                              <button type="button" className="btn" onClick={() => void setActive(u, true)}>
                                Reactivate
                              </button>
                            </>
                          ) : (
                            <button type="button" className="btn btn-danger" onClick={() => void setActive(u, false)}>
                              Deactivate
                            </button>
                          ))}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {page.nextCursor && (
              <button type="button" className="btn" onClick={() => setCursor(page.nextCursor ?? undefined)}>
                Next page
              </button>
            )}
          </>
        )}
      </Async>
      <InlineError error={error} />
      <p className="muted">
        Deactivating signs a user out everywhere and revokes their tokens; their work stays. Resetting a password signs the user out everywhere; their API tokens
        keep working. You change your own password on your account page.
      </p>
      {tokensOf && <TokensDialog user={tokensOf} onClose={() => setTokensOf(null)} />}
      {passwordOf && <ResetPasswordDialog user={passwordOf} onClose={() => setPasswordOf(null)} />}
    </Layout>
  );
}

function CreateUser({ onCreated }: { onCreated: () => void }) {
  const [form, setForm] = useState({ email: '', name: '', password: '', isAdmin: false });
  const { busy, error, submit } = useSubmit(async () => {
    const u = await usersApi.create({ email: form.email, name: form.name, password: form.password || undefined, isAdmin: form.isAdmin });
    toast(`User ${u.email} created`);
    setForm({ email: '', name: '', password: '', isAdmin: false });
    onCreated();
  });
  return (
    <form className="card form-row" onSubmit={submit} aria-label="Create a user">
      <Field label="Email">
        <input type="email" required value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} />
      </Field>
      <Field label="Name">
        <input required value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
      </Field>
      <Field label="Password" hint="At least 12 characters; leave empty for token-only access.">
        <input type="password" autoComplete="new-password" value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} />
      </Field>
      <label className="check">
        <input type="checkbox" checked={form.isAdmin} onChange={(e) => setForm({ ...form, isAdmin: e.target.checked })} /> Administrator
      </label>
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {busy ? 'Creating…' : 'Create user'}
      </button>
      <InlineError error={error} />
    </form>
  );
}

/** An administrator sets a password for someone who forgot theirs (docs/sessions.md). */
function ResetPasswordDialog({ user, onClose }: { user: User; onClose: () => void }) {
  const [password, setPassword] = useState('');
  const { busy, error, submit } = useSubmit(async () => {
    const r = await usersApi.resetPassword(user.id, password);
    toast(`New password set for ${user.name}; ${r.sessionsEnded === 1 ? '1 session' : `${r.sessionsEnded} sessions`} ended`);
    onClose();
  });
  return (
    <Dialog title={`Reset the password of ${user.name}`} onClose={onClose}>
      <form className="form-row" onSubmit={submit}>
        <Field label="New password" hint="At least 12 characters. Tell it to them by a channel you trust; they can change it on their account page.">
          <input type="password" autoComplete="new-password" required minLength={12} value={password} onChange={(e) => setPassword(e.target.value)} />
        </Field>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Setting…' : 'Set password'}
        </button>
      </form>
      <p className="muted">{user.email} is signed out everywhere; their API tokens keep working.</p>
      <InlineError error={error} />
    </Dialog>
  );
}

function TokensDialog({ user, onClose }: { user: User; onClose: () => void }) {
  const tokens = useApi(() => usersApi.tokens(user.id), [user.id]);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const create = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      const t = await usersApi.createToken(user.id, name || 'api');
      setCreated(t.token);
      setCopied(false);
      setName('');
      toast('Token created: copy it now, it is shown once');
      tokens.reload();
    } catch (e) {
      setError(e);
    }
  };
  const revoke = async (id: string, tokenName: string) => {
    if (!(await confirmInApp({ title: 'Revoke token', body: `Revoke “${tokenName}”? Scripts using it stop working at once.`, confirmLabel: 'Revoke' }))) return;
    try {
      await usersApi.revokeToken(user.id, id);
      toast(`Token “${tokenName}” revoked`);
      tokens.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Dialog title={`API tokens of ${user.name}`} onClose={onClose}>
      <form className="form-row" onSubmit={create}>
        <Field label="Token name">
          <input value={name} placeholder="api" onChange={(e) => setName(e.target.value)} />
        </Field>
        <button type="submit" className="btn btn-primary">
          Create token
        </button>
      </form>
      {created && (
        <div className="token-once" role="status">
          <p>This token is shown once. Copy it now:</p>
          <code className="token-value">{created}</code>
          <button
            type="button"
            className="btn"
            onClick={() => void navigator.clipboard?.writeText(created).then(() => setCopied(true), () => setCopied(false))}
          >
            {copied ? 'Copied' : 'Copy'}
          </button>
        </div>
      )}
      <InlineError error={error} />
      {tokens.data === undefined && tokens.error === undefined && <Loading />}
      {tokens.error !== undefined && <ErrorBox error={tokens.error} onRetry={tokens.reload} />}
      {tokens.data && tokens.data.data.length === 0 && <Empty title="No tokens." />}
      {tokens.data && tokens.data.data.length > 0 && (
        <div className="table-wrap">
          <table className="table table-compact">
            <thead>
              <tr>
                <th>Name</th>
                <th>Starts with</th>
                <th>Last used</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {tokens.data.data.map((t) => (
                <tr key={t.id}>
                  <td>{t.name}</td>
                  <td>
                    <code>{t.prefix}…</code>
                  </td>
                  <td>{t.lastUsedAt ? formatDate(t.lastUsedAt) : 'never'}</td>
                  <td>
                    {t.revokedAt ? (
                      <span className="muted">revoked</span>
                    ) : (
                      <button type="button" className="btn btn-danger" onClick={() => void revoke(t.id, t.name)}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Dialog>
  );
}
