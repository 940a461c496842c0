import { useMemo, useState, type FormEvent } from 'react';
import { groups as groupsApi, members as membersApi, projectAdmin, roles, type Role } from '../../api/admin.ts';
import { Layout, PageHead } from '../../app/layout.tsx';
import { useSearch } from '../../app/router.tsx';
import { useSession } from '../../app/session.tsx';
import { useApi } from '../../app/use-api.ts';
import { confirmInApp, toast } from '../../components/feedback.tsx';
import { formatDate, formatDateTime, humanize } from '../../components/format.ts';
import { Async, Empty, InlineError } from '../../components/states.tsx';
import { Field, Tabs } from '../../components/widgets.tsx';

type Tab = 'members' | 'groups' | 'settings' | 'audit';
type Member = Awaited<ReturnType<typeof membersApi.list>>['data'][number];

/** A project's people and rules: members and roles, groups, settings and the audit log. */
export function ProjectSettingsPage({ projectId }: { projectId: string }) {
  const { me } = useSession();
  const { search, set } = useSearch();
  const tab = (search.get('tab') as Tab | null) ?? 'members';
  const members = useApi(() => membersApi.list(projectId), [projectId]);
  const myRole = me.projects.find((p) => p.id === projectId)?.role;
  const canManage = me.isAdmin || myRole === 'owner' || myRole === 'manager';
  const titles: Record<Tab, string> = { members: 'Members', groups: 'Groups', settings: 'Project settings', audit: 'Audit log' };
  return (
    <Layout projectId={projectId}>
      <PageHead title="Settings" tabTitle={titles[tab]} sub={me.projects.find((p) => p.id === projectId)?.name} />
      <Tabs<Tab>
        tabs={[
          { key: 'members', label: 'Members' },
          { key: 'groups', label: 'Groups' },
          { key: 'settings', label: 'Project' },
          { key: 'audit', label: 'Audit log' },
        ]}
        active={tab}
        onChange={(k) => set({ tab: k === 'members' ? null : k, cursor: null })}
      />
      {!canManage && <p className="muted">You can see these settings; only managers and owners change them.</p>}
      {tab === 'members' && (
        <Async state={members} empty={(p) => (p.data.length === 0 ? <Empty title="No members yet." /> : null)}>
          {(page) => <Members projectId={projectId} members={page.data} canManage={canManage} onChange={members.reload} />}
        </Async>
      )}
      {tab === 'groups' && <Groups projectId={projectId} members={members.data?.data ?? []} canManage={canManage} />}
      {tab === 'settings' && <Settings projectId={projectId} canManage={canManage} />}
      {tab === 'audit' && <Audit projectId={projectId} members={members.data?.data ?? []} />}
    </Layout>
  );
}

function RoleSelect({ value, onChange, label }: { value: Role; onChange: (r: Role) => void; label: string }) {
  return (
    <select aria-label={label} value={value} onChange={(e) => onChange(e.target.value as Role)}>
      {roles.map((r) => (
        <option key={r} value={r}>
          {humanize(r)}
        </option>
      ))}
    </select>
  );
}

function Members({ projectId, members, canManage, onChange }: { projectId: string; members: Member[]; canManage: boolean; onChange: () => void }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('annotator' as Role);
  const [error, setError] = useState<unknown>(null);
  const run = async (what: () => Promise<unknown>, done: string) => {
    setError(null);
    try {
      await what();
      toast(done);
      onChange();
    } catch (e) {
      setError(e);
    }
  };
  const add = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await membersApi.put(projectId, email.trim().toLowerCase(), role);
      setEmail('');
    }, `${email} added as ${humanize(role)}`);
  };
  const remove = async (m: Member) => {
    if (!(await confirmInApp({ title: 'Remove member', body: `Remove ${m.name} (${m.email}) from this project? Their finished work stays.`, confirmLabel: 'Remove' }))) return;
    await run(() => membersApi.remove(projectId, m.userId), `${m.name} removed`);
  };
  return (
    <>
      {canManage && (
        <form className="card form-row" onSubmit={add} aria-label="Add a member">
          <Field label="Email of the user">
            <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
          </Field>
          <Field label="Role">
            <RoleSelect label="Role of the new member" value={role} onChange={setRole} />
          </Field>
          <button type="submit" className="btn btn-primary">
            Add member
          </button>
        </form>
      )}
      <InlineError error={error} />
      <div className="table-wrap">
        <table className="table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Email</th>
              <th>Role</th>
              <th>Since</th>
              {canManage && <th />}
            </tr>
          </thead>
          <tbody>
            {members.map((m) => (
              <tr key={m.userId}>
                <td>{m.name}</td>
                <td>{m.email}</td>
                <td>
                  {canManage ? (
                    <RoleSelect label={`Role of ${m.email}`} value={m.role as Role} onChange={(r) => void run(() => membersApi.put(projectId, m.userId, r), `${m.name} is now ${humanize(r)}`)} />
                  ) : (
                    humanize(m.role)
                  )}
                </td>
                <td>{formatDate(m.createdAt)}</td>
                {canManage && (
                  <td>
                    <button type="button" className="btn btn-danger" onClick={() => void remove(m)}>
                      Remove
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function MemberChecks({ members, selected, onChange }: { members: Member[]; selected: Set<string>; onChange: (s: Set<string>) => void }) {
  if (members.length === 0) return <p className="muted">Add members first.</p>;
  return (
    <ul className="checks checks-inline">
      {members.map((m) => (
        <li key={m.userId}>
          <label className="check">
            <input
              type="checkbox"
              checked={selected.has(m.userId)}
              onChange={(e) => {
                const next = new Set(selected);
                if (e.target.checked) next.add(m.userId);
                else next.delete(m.userId);
                onChange(next);
              }}
            />{' '}
            {m.name}
          </label>
        </li>
      ))}
    </ul>
  );
}

function Groups({ projectId, members, canManage }: { projectId: string; members: Member[]; canManage: boolean }) {
  const groups = useApi(() => groupsApi.list(projectId), [projectId]);
  const [name, setName] = useState('');
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [editing, setEditing] = useState<{ id: string; name: string; ids: Set<string> } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const names = useMemo(() => new Map(members.map((m) => [m.userId, m.name])), [members]);
  const run = async (what: () => Promise<unknown>, done: string) => {
    setError(null);
    try {
      await what();
      toast(done);
      groups.reload();
      return true;
    } catch (e) {
      setError(e);
      return false;
    }
  };
  const create = async (event: FormEvent) => {
    event.preventDefault();
    if (await run(() => groupsApi.create(projectId, name, [...picked]), `Group “${name}” created`)) {
      setName('');
      setPicked(new Set());
    }
  };
  return (
    <>
      {canManage && (
        <form className="card" onSubmit={(e) => void create(e)} aria-label="Create a group">
          <Field label="Group name">
            <input required value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <MemberChecks members={members} selected={picked} onChange={setPicked} />
          <button type="submit" className="btn btn-primary">
            Create group
          </button>
        </form>
      )}
      <InlineError error={error} />
      <Async state={groups} empty={(p) => (p.data.length === 0 ? <Empty title="No groups yet.">A group can be assigned work like a person.</Empty> : null)}>
        {(page) => (
          <ul className="card-list">
            {page.data.map((g) => (
              <li key={g.id} className="card">
                {editing?.id === g.id ? (
                  <form
                    onSubmit={(e) => {
                      e.preventDefault();
                      void run(() => groupsApi.update(g.id, { name: editing.name, memberIds: [...editing.ids] }), `Group “${editing.name}” saved`).then((ok) => ok && setEditing(null));
                    }}
                  >
                    <Field label="Group name">
                      <input required value={editing.name} onChange={(e) => setEditing({ ...editing, name: e.target.value })} />
                    </Field>
                    <MemberChecks members={members} selected={editing.ids} onChange={(ids) => setEditing({ ...editing, ids })} />
                    <div className="toolbar">
                      <button type="submit" className="btn btn-primary">
                        Save
                      </button>
                      <button type="button" className="btn" onClick={() => setEditing(null)}>
                        Cancel
                      </button>
                    </div>
                  </form>
                ) : (
                  <div className="row-between">
                    <div>
                      <strong>{g.name}</strong>
                      <div className="muted">{g.memberIds.length === 0 ? 'No members' : g.memberIds.map((id) => names.get(id) ?? 'former member').join(', ')}</div>
                    </div>
                    {canManage && (
                      <div className="toolbar">
                        <button type="button" className="btn" onClick={() => setEditing({ id: g.id, name: g.name, ids: new Set(g.memberIds) })}>
                          Edit
                        </button>
                        <button
                          type="button"
                          className="btn btn-danger"
                          onClick={() =>
                            void confirmInApp({ title: 'Delete group', body: `Delete the group “${g.name}”? Its members stay in the project.`, confirmLabel: 'Delete' }).then(
                              (ok) => ok && run(() => groupsApi.remove(g.id), `Group “${g.name}” deleted`),
                            )
                          }
                        >
                          Delete
                        </button>
                      </div>
                    )}
                  </div>
                )}
              </li>
            ))}
          </ul>
        )}
      </Async>
    </>
  );
}

function Settings({ projectId, canManage }: { projectId: string; canManage: boolean }) {
  const project = useApi(() => projectAdmin.get(projectId), [projectId]);
  const { reload: reloadMe } = useSession();
  const [draft, setDraft] = useState<{ name: string; requireStatusRemovalBeforeEdit: boolean } | null>(null);
  const [error, setError] = useState<unknown>(null);
  return (
    <Async state={project}>
      {(p) => {
        const form = draft ?? { name: p.name, requireStatusRemovalBeforeEdit: p.settings.requireStatusRemovalBeforeEdit ?? false };
        const save = async (event: FormEvent) => {
          event.preventDefault();
          setError(null);
          try {
            await projectAdmin.patch(projectId, { name: form.name, settings: { requireStatusRemovalBeforeEdit: form.requireStatusRemovalBeforeEdit } });
            toast('Project settings saved');
            setDraft(null);
            project.reload();
            reloadMe();
          } catch (e) {
            setError(e);
          }
        };
        return (
          <form className="card" onSubmit={(e) => void save(e)} aria-label="Project settings">
            <Field label="Project name">
              <input required disabled={!canManage} value={form.name} onChange={(e) => setDraft({ ...form, name: e.target.value })} />
            </Field>
            <label className="check">
              <input
                type="checkbox"
                disabled={!canManage}
                checked={form.requireStatusRemovalBeforeEdit}
                onChange={(e) => setDraft({ ...form, requireStatusRemovalBeforeEdit: e.target.checked })}
              />{' '}
              Annotators must clear an item’s status before editing it
            </label>
            {canManage && (
              <div className="toolbar">
                <button type="submit" className="btn btn-primary" disabled={draft === null}>
                  Save settings
                </button>
              </div>
            )}
            <InlineError error={error} />
          </form>
        );
      }}
    </Async>
  );
}

function Audit({ projectId, members }: { projectId: string; members: Member[] }) {
  const { search, set } = useSearch();
  const subjectId = search.get('subject') ?? '';
  const action = search.get('action') ?? '';
  const actor = search.get('actor') ?? '';
  const cursor = search.get('cursor') ?? undefined;
  const log = useApi(() => projectAdmin.audit(projectId, { subjectId, cursor }), [projectId, subjectId, cursor]);
  const names = useMemo(() => new Map(members.map((m) => [m.userId, m.name])), [members]);
  return (
    <>
      <div className="toolbar" role="search">
        <input aria-label="Subject id" placeholder="Subject id" value={subjectId} onChange={(e) => set({ subject: e.target.value, cursor: null })} />
        <input aria-label="Action contains" placeholder="Action contains…" value={action} onChange={(e) => set({ action: e.target.value })} />
        <select aria-label="Actor" value={actor} onChange={(e) => set({ actor: e.target.value })}>
          <option value="">Anyone</option>
          {members.map((m) => (
            <option key={m.userId} value={m.userId}>
              {m.name}
            </option>
          ))}
        </select>
      </div>
      <Async state={log}>
        {(page) => {
          const rows = page.data.filter((e) => (!action || e.action.includes(action)) && (!actor || e.actorId === actor));
          return (
            <>
              {rows.length === 0 ? (
                <Empty title="No audit events match.">{page.data.length > 0 ? 'Action and actor filter this page only; try the next page.' : null}</Empty>
              ) : (
                <div className="table-wrap">
                  <table className="table table-compact">
                    <thead>
                      <tr>
                        <th>When</th>
                        <th>Who</th>
                        <th>Action</th>
                        <th>Subject</th>
                        <th>Change</th>
                      </tr>
                    </thead>
                    <tbody>
                      {rows.map((e) => (
                        <tr key={e.id}>
                          <td>{formatDateTime(e.createdAt)}</td>
                          <td>{e.actorId ? (names.get(e.actorId) ?? 'former member') : 'system'}</td>
                          <td>{humanize(e.action)}</td>
                          <td>
                            <button type="button" className="link-button" title="Show only this subject" onClick={() => set({ subject: e.subjectId, cursor: null })}>
                              {humanize(e.subjectKind)}
                            </button>
                          </td>
                          <td>
                            <details>
                              <summary>before / after</summary>
                              <pre className="audit-diff">{JSON.stringify({ before: e.before, after: e.after }, null, 2)}</pre>
                            </details>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
              <div className="toolbar">
                {cursor && (
                  <button type="button" className="btn" onClick={() => set({ cursor: null })}>
                    Newest
                  </button>
                )}
                {page.nextCursor && (
                  <button type="button" className="btn" onClick={() => set({ cursor: page.nextCursor })}>
                    Older
                  </button>
                )}
              </div>
            </>
          );
        }}
      </Async>
    </>
  );
}
