import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { runLoupe, type CliRun } from '../support/cli-harness.ts';
import { relayEverythingWritten } from '../support/outbox.ts';

let t: TestApp;
let url: string;
let dir: string;
beforeAll(async () => {
  t = await createTestApp();
  url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  dir = mkdtempSync(`${tmpdir()}/loupe-cli-cmds-`);
}, 180_000);
afterAll(() => t?.close());

/** Runs `loupe` with a config file of this test (no LOUPE_URL/LOUPE_TOKEN unless given). */
async function loupe(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const base: NodeJS.ProcessEnv = { ...process.env, LOUPE_CONFIG: `${dir}/config.json` };
  delete base.LOUPE_URL;
  delete base.LOUPE_TOKEN;
  return runLoupe(args, { ...base, ...env });
}

/** Runs a `--json` command that must succeed and returns what it printed. */
async function ok(args: string[], env: Record<string, string> = {}) {
  const r = await loupe(['--json', ...args], env);
  if (r.code !== 0) throw new Error(`loupe ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('every loupe command against a listening server', () => {
  it('logs in to a 0600 config file, then runs a whole round of commands with it', async () => {
    // Usage errors exit 1; an unreachable server exits 3; a refusal exits 2 and prints the code.
    expect((await loupe(['tasks', 'frobnicate'])).code).toBe(1);
    expect((await loupe(['login', '--url', url])).code).toBe(1);
    const unreachable = await loupe(['login', '--url', 'http://127.0.0.1:9', '--token', 'lp_x']);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toMatch(/cannot reach/);
    const refused = await loupe(['login', '--url', url, '--token', 'lp_not_a_token']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/code: unauthenticated/);

    const owner = await t.user();
    const login = await loupe(['login', '--url', url, '--token', owner.token]);
    expect(login.code, login.stderr).toBe(0);
    expect(statSync(`${dir}/config.json`).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(`${dir}/config.json`, 'utf8'))).toEqual({ url, token: owner.token });
    expect((await ok(['users', 'me'])).id).toBe(owner.id);

    // Users (admin) and projects, members.
    const admin = { LOUPE_URL: url, LOUPE_TOKEN: t.admin.token };
    const annotator = await ok(['users', 'create', `cli-ann-${Date.now()}@example.com`, 'Ann Otator', '--password', 'correct horse battery'], admin);
    const reviewerUser = await ok(['users', 'create', `cli-rev-${Date.now()}@example.com`, 'Rev Iewer', '--password', 'correct horse battery'], admin);
    const annToken = (await ok(['users', 'token', annotator.id, '--name', 'cli'], admin)).token as string;
    const revToken = (await ok(['users', 'token', reviewerUser.id], admin)).token as string;
    expect((await ok(['users', 'list', '--q', 'cli-ann'], admin)).some((u: any) => u.id === annotator.id)).toBe(true);
    const project = await ok(['projects', 'create', 'CLI round']);
    expect((await ok(['projects', 'get', project.id])).name).toBe('CLI round');
    expect((await ok(['projects', 'update', project.id, '{"name":"CLI round 2"}'])).name).toBe('CLI round 2');
    expect((await ok(['projects', 'list'])).map((p: any) => p.id)).toContain(project.id);
    await ok(['members', 'add', project.id, annotator.id, 'annotator']);
    await ok(['projects', 'add-member', project.id, reviewerUser.id, 'reviewer']);
    const viewer = await t.user();
    await ok(['members', 'add', project.id, viewer.id, 'viewer']);
    expect((await ok(['members', 'remove', project.id, viewer.id])).removed).toBe(viewer.id);
    expect((await ok(['members', 'list', project.id])).map((m: any) => m.role).sort()).toEqual(['annotator', 'owner', 'reviewer']);

    // Webhooks and datasets, items.
    const hook = await ok(['webhooks', 'create', project.id, 'https://example.com/loupe', '--events', 'task.created,issue.opened']);
    expect(hook.secret).toMatch(/^whsec_/);
    expect((await ok(['webhooks', 'list', project.id])).map((w: any) => w.id)).toEqual([hook.id]);
    expect((await ok(['webhooks', 'update', hook.id, '--disable'])).enabled).toBe(false);
    expect((await ok(['webhooks', 'get', hook.id])).enabled).toBe(false);
    expect((await ok(['webhooks', 'test', hook.id])).eventType).toBe('webhook.test');
    expect((await ok(['webhooks', 'deliveries', hook.id]))[0].eventType).toBe('webhook.test');
    const dataset = await ok(['datasets', 'create', project.id, 'texts']);
    writeFileSync(`${dir}/items.jsonl`, Array.from({ length: 4 }, (_, i) => JSON.stringify({ externalId: `x${i}`, kind: 'text', payload: { text: `text ${i}` } })).join('\n'));
    expect((await ok(['items', 'import', dataset.id, `${dir}/items.jsonl`])).created).toBe(4);
    const itemList = await ok(['items', 'list', dataset.id, '--all']);
    expect(itemList).toHaveLength(4);
    expect((await ok(['items', 'get', itemList[0].id])).id).toBe(itemList[0].id);
    expect((await ok(['datasets', 'get', dataset.id])).itemCount).toBe(4);
    expect((await ok(['datasets', 'list', project.id])).map((d: any) => d.id)).toContain(dataset.id);
    const spare = await ok(['datasets', 'create', project.id, 'spare']);
    expect((await ok(['datasets', 'delete', spare.id])).deleted).toBe(spare.id);

    // Recipes and tasks.
    writeFileSync(`${dir}/recipe.json`, JSON.stringify({ name: 'sentiment', labels: [{ name: 'positive' }, { name: 'negative' }], tools: ['classification'] }));
    const recipe = await ok(['recipes', 'create', project.id, `@${dir}/recipe.json`]);
    expect((await ok(['recipes', 'get', recipe.id])).name).toBe('sentiment');
    expect((await ok(['recipes', 'update', recipe.id, '{"name":"sentiment v2"}'])).name).toBe('sentiment v2');
    expect((await ok(['recipes', 'list', project.id])).map((r: any) => r.id)).toEqual([recipe.id]);
    writeFileSync(`${dir}/task.json`, JSON.stringify({ name: 'Label texts', type: 'labeling', datasetId: dataset.id, recipeId: recipe.id, allocation: { method: 'pulling', batchSize: 4 } }));
    const task = await ok(['tasks', 'create', project.id, `${dir}/task.json`]);
    expect((await ok(['tasks', 'assign', task.id, annotator.id, '--reviewers', reviewerUser.id])).id).toBe(task.id);
    expect((await ok(['tasks', 'show', task.id])).name).toBe('Label texts');
    expect((await ok(['tasks', 'get', task.id])).id).toBe(task.id);
    expect((await ok(['tasks', 'update', task.id, '{"priority":"high"}'])).priority).toBe('high');
    expect((await ok(['tasks', 'list', project.id, '--all'])).map((x: any) => x.id)).toContain(task.id);
    const ann = { LOUPE_URL: url, LOUPE_TOKEN: annToken };
    const rev = { LOUPE_URL: url, LOUPE_TOKEN: revToken };
    const pulled = await ok(['tasks', 'pull', task.id], ann);
    expect(pulled).toHaveLength(4);
    await ok(['tasks', 'transition', task.id, 'in_progress'], ann);
    let annotationId = '';
    for (const unit of pulled) {
      const a = await ok(['annotations', 'set', task.id, unit.itemId, '[{"tool":"classification","label":"positive"}]'], ann);
      annotationId ||= a.id;
      expect((await ok(['statuses', 'set', task.id, unit.itemId, 'completed'], ann)).status).toBe('completed');
    }
    expect((await ok(['annotations', 'get', task.id, pulled[0].itemId]))).toBeTruthy();
    expect((await ok(['statuses', 'remove', task.id, pulled[3].itemId], ann)).status).toBe(null);
    await ok(['statuses', 'set', task.id, pulled[3].itemId, 'completed'], ann);
    expect((await ok(['tasks', 'items', task.id, '--status', 'done'])).length).toBe(4);
    await ok(['tasks', 'transition', task.id, 'pending_review'], ann);

    // Issues and notifications.
    const issue = await ok(['issues', 'open', annotationId, 'not positive'], rev);
    expect((await ok(['issues', 'list', task.id])).map((i: any) => i.id)).toEqual([issue.id]);
    expect((await ok(['issues', 'mine'], ann)).map((i: any) => i.id)).toEqual([issue.id]);
    expect((await ok(['issues', 'show', issue.id])).comment).toBe('not positive');
    expect((await ok(['issues', 'move', issue.id, 'for_review', '--comment', 'fixed'], ann)).status).toBe('for_review');
    expect((await ok(['issues', 'resolve', issue.id], rev)).status).toBe('resolved');
    await relayEverythingWritten(t.ctx); // events become notifications (no sending: other files' webhooks may share this database)
    expect((await ok(['notifications', 'count'], ann)).unread).toBeGreaterThanOrEqual(2);
    const inbox = await ok(['notifications', 'list', '--unread'], ann);
    expect(inbox.map((n: any) => n.type)).toEqual(expect.arrayContaining(['issue.opened', 'issue.resolved']));
    expect((await ok(['notifications', 'read', inbox[0].id], ann)).updated).toBe(1);
    expect((await loupe(['notifications', 'read'], ann)).code).toBe(1);
    expect((await ok(['notifications', 'read', '--all'], ann)).updated).toBe(inbox.length - 1);
    expect((await ok(['notifications', 'count'], ann)).unread).toBe(0);

    // Locking, archiving, webhook deletion; a refusal prints the code and exits 2.
    await ok(['tasks', 'lock', task.id]);
    const locked = await loupe(['statuses', 'remove', task.id, pulled[0].itemId], ann);
    expect(locked.code).toBe(2);
    expect(locked.stderr).toMatch(/code: task_locked/);
    await ok(['tasks', 'unlock', task.id]);
    expect(await ok(['tasks', 'archive', task.id])).toEqual({ archived: true });
    expect((await ok(['webhooks', 'delete', hook.id])).deleted).toBe(hook.id);

    // The job queue (administrators): a retry scoped to a queue with no failed jobs retries none;
    // `jobs clear` (global, so not run here for real) is refused to a non-administrator.
    expect(await ok(['jobs', 'retry', '--queue', 'no-such-queue', '--limit', '5'], admin)).toEqual({ retried: 0 });
    const clear = await loupe(['jobs', 'clear'], ann);
    expect(clear.code).toBe(2);
    expect(clear.stderr).toMatch(/code: (forbidden|not_found)/);

    // A table without --json; completion scripts; logout.
    const table = await loupe(['projects', 'list']);
    expect(table.stdout).toMatch(/^id\s+name\s+role/);
    const bash = await loupe(['completion', 'bash']);
    expect(bash.stdout).toContain('complete -F _loupe loupe');
    expect(bash.stdout).toMatch(/webhooks\) COMPREPLY=\( \$\(compgen -W "create list get update delete deliveries test"/);
    expect((await loupe(['completion', 'zsh'])).stdout).toContain('bashcompinit');
    expect((await loupe(['completion', 'fish'])).code).toBe(1);
    expect((await loupe(['logout'])).code).toBe(0);
    expect((await loupe(['projects', 'list'])).code).toBe(1);
  }, 900_000);
});
