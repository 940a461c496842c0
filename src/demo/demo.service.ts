import type { Ctx } from '../context.ts';
import { countUsers } from '../auth/user-reads.ts';
import { demoConversationItems, demoImageItems, demoTextItems, demoUsers } from './demo-data.ts';

/** One HTTP call into the API as someone (`as` is a bearer token; omitted: the demo's caller). */
export type DemoHttp = (method: string, url: string, body?: unknown, as?: string) => Promise<{ status: number; body: any }>;

export interface DemoResult {
  projectId: string;
  users: Array<{ email: string; password: string; role: string }>;
  /** What was seeded, step by step. */
  steps: string[];
  /** Set when a step failed: the demo is usable up to there (a route may not exist yet). */
  stoppedAt: string | null;
}

/**
 * First start: true while the only user is the bootstrap administrator. Read-only, one count;
 * it decides whether the sign-in page shows how to find the generated password.
 */
export async function isFirstStart(ctx: Ctx): Promise<boolean> {
  return (await countUsers(ctx.db)) <= 1;
}

class StepFailed extends Error {}

/**
 * Seeds the demo project through the public HTTP API (the same validation, audit and counters
 * as any client): users of each role with known passwords, text, image and conversation
 * datasets, three recipes, and tasks in several states with some work done. Safe to run twice:
 * existing demo users are reused and a new demo project is made each time.
 */
export async function seedDemo(http: DemoHttp): Promise<DemoResult> {
  const steps: string[] = [];
  const result: DemoResult = { projectId: '', users: demoUsers.map(({ email, password, role }) => ({ email, password, role })), steps, stoppedAt: null };
  const call = async (step: string, method: string, url: string, body?: unknown, as?: string) => {
    const res = await http(method, url, body, as);
    if (res.status >= 400) throw new StepFailed(`${step}: ${res.status} ${res.body?.detail ?? res.body?.title ?? ''}`.trim());
    return res.body;
  };
  try {
    for (const u of demoUsers) {
      const res = await http('POST', '/api/v1/users', { email: u.email, name: u.name, password: u.password });
      if (res.status >= 400 && res.body?.code !== 'email_taken') throw new StepFailed(`create user ${u.email}: ${res.body?.detail ?? res.status}`);
    }
    steps.push('users');
    const project = await call('create project', 'POST', '/api/v1/projects', { name: `Demo: support & vision ${new Date().toISOString().slice(0, 16).replace('T', ' ')}` });
    result.projectId = project.id;
    const ids: Record<string, string> = {};
    const tokens: Record<string, string> = {};
    for (const u of demoUsers) {
      const member = await call(`add ${u.email}`, 'PUT', `/api/v1/projects/${project.id}/members/${encodeURIComponent(u.email)}`, { role: u.role });
      ids[u.email] = member.userId;
      tokens[u.email] = (await call(`token for ${u.email}`, 'POST', `/api/v1/users/${member.userId}/tokens`, { name: 'demo' })).token;
    }
    steps.push('members');
    const [manager, ari, ana, rui] = demoUsers.map((u) => u.email);

    const dataset = async (name: string, items: unknown[]) => {
      const d = await call(`dataset ${name}`, 'POST', `/api/v1/projects/${project.id}/datasets`, { name });
      await call(`import into ${name}`, 'POST', `/api/v1/datasets/${d.id}/items`, items);
      return d.id as string;
    };
    const texts = await dataset('Product reviews', demoTextItems);
    const images = await dataset('Street scenes', demoImageItems);
    const convs = await dataset('Support conversations', demoConversationItems);
    steps.push('datasets');

    const recipe = (body: Record<string, unknown>) => call(`recipe ${body.name}`, 'POST', `/api/v1/projects/${project.id}/recipes`, body).then((r) => r.id as string);
    const sentiment = await recipe({
      name: 'Sentiment and entities',
      labels: [{ name: 'positive', color: '#2b8a3e' }, { name: 'negative', color: '#c92a2a' }, { name: 'neutral', color: '#868e96' }, { name: 'product', color: '#3b5bdb' }, { name: 'person', color: '#e8590c' }],
      tools: ['classification', 'text_span'],
      instructionsUrl: 'https://example.com/guidelines/sentiment',
    });
    const objects = await recipe({
      name: 'Street objects',
      labels: [{ name: 'car', color: '#e03131' }, { name: 'person', color: '#f08c00' }, { name: 'tree', color: '#2f9e44' }, { name: 'building', color: '#5c7cfa' }],
      tools: ['bbox', 'polygon'],
    });
    const support = await recipe({
      name: 'Support answer QA',
      labels: [{ name: 'good answer', color: '#2b8a3e' }, { name: 'needs fix', color: '#c92a2a' }],
      tools: ['classification', 'free_text'],
      statuses: [{ name: 'needs_expert', countsAsDone: false }],
    });
    steps.push('recipes');

    const task = (body: Record<string, unknown>) => call(`task ${body.name}`, 'POST', `/api/v1/projects/${project.id}/tasks`, body);
    const due = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
    const reviewsTask = await task({ name: 'Review sentiment, batch 1', type: 'labeling', datasetId: texts, recipeId: sentiment, assigneeIds: [ari, ana], reviewerIds: [rui], ownerId: manager, allocation: { method: 'distribution' }, priority: 'high', dueDate: due(3), description: 'Label the sentiment of each review and mark product and person names.' });
    const streetTask = await task({ name: 'Street objects', type: 'labeling', datasetId: images, recipeId: objects, assigneeIds: [ari, ana], reviewerIds: [rui], ownerId: manager, allocation: { method: 'pulling', batchSize: 2, maxWorkload: 4 }, priority: 'medium', dueDate: due(7) });
    const convTask = await task({ name: 'Support answers QA', type: 'labeling', datasetId: convs, recipeId: support, assigneeIds: [ana], reviewerIds: [rui], ownerId: manager, allocation: { method: 'distribution' }, priority: 'low' });
    await task({ name: 'Fix the delivery-promise prompt', type: 'ticket', assigneeIds: [manager], description: 'The shipping test case fails: the agent promises delivery dates.', priority: 'high' });
    steps.push('tasks');

    // Work in progress: the annotators label what was distributed to them in the sentiment task.
    for (const who of [ari, ana]) {
      const token = tokens[who!]!;
      const mine = await call('list my items', 'GET', `/api/v1/tasks/${reviewsTask.id}/items?assigneeId=${ids[who!]}&limit=50`, undefined, token);
      for (const [i, ti] of (mine.data as Array<{ itemId: string }>).slice(0, 2).entries()) {
        await call('annotate', 'PUT', `/api/v1/tasks/${reviewsTask.id}/items/${ti.itemId}/annotations`, { shapes: [{ tool: 'classification', label: i === 0 ? 'positive' : 'negative' }] }, token);
        await call('set status', 'PUT', `/api/v1/tasks/${reviewsTask.id}/items/${ti.itemId}/status`, { status: 'completed' }, token);
      }
    }
    steps.push('sentiment task in progress');

    // The conversation task is finished and waiting for review, with one issue open.
    const anaToken = tokens[ana!]!;
    const convItems = await call('list conversation items', 'GET', `/api/v1/tasks/${convTask.id}/items?limit=50`, undefined, anaToken);
    let firstAnnotation: string | null = null;
    for (const ti of convItems.data as Array<{ itemId: string }>) {
      const a = await call('annotate conversation', 'PUT', `/api/v1/tasks/${convTask.id}/items/${ti.itemId}/annotations`, { shapes: [{ tool: 'classification', label: 'good answer' }] }, anaToken);
      firstAnnotation ??= a.id;
      await call('set status', 'PUT', `/api/v1/tasks/${convTask.id}/items/${ti.itemId}/status`, { status: 'completed' }, anaToken);
    }
    await call('start', 'POST', `/api/v1/tasks/${convTask.id}/transitions`, { to: 'in_progress' }, anaToken);
    await call('submit for review', 'POST', `/api/v1/tasks/${convTask.id}/transitions`, { to: 'pending_review' }, anaToken);
    steps.push('conversation task pending review');
    if (firstAnnotation) {
      await call('open issue', 'POST', `/api/v1/annotations/${firstAnnotation}/issues`, { comment: 'The agent promised a date here: this is not a good answer.' }, tokens[rui!]);
      steps.push('issue opened');
    }
    void streetTask;
  } catch (error) {
    if (!(error instanceof StepFailed)) throw error;
    result.stoppedAt = error.message;
  }
  return result;
}
