import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/test-app.ts';
import { importItems } from '../reviews/review-helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

interface Unit {
  itemId: string;
  workerId: string | null;
  assignmentId: string | null;
  status: string | null;
  [key: string]: unknown;
}

const cat = [{ tool: 'classification', label: 'cat' }];
const dog = [{ tool: 'classification', label: 'dog' }];

/** A project with `n` text items, the first `gold` of them with the gold answer "cat". */
async function honeypotWorld(n: number, gold: number) {
  const project = await t.project();
  const token = project.owner.token;
  const lines = Array.from({ length: n }, (_, i) => ({ kind: 'text', payload: { text: `animal ${i}` }, ...(i < gold ? { gold: cat } : {}) }));
  const { datasetId, itemIds } = await importItems(t, project.id, token, lines);
  return { projectId: project.id, token, datasetId, itemIds, goldIds: itemIds.slice(0, gold), regularIds: itemIds.slice(gold) };
}
type HoneypotWorld = Awaited<ReturnType<typeof honeypotWorld>>;

async function createHoneypot(w: HoneypotWorld, body: Record<string, unknown>) {
  const res = await t.post(`/api/v1/projects/${w.projectId}/tasks`, { name: 'honeypot', type: 'honeypot', datasetId: w.datasetId, ...body }, { token: w.token });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** Every unit of the task the caller may list (an annotator: their own share). */
async function unitsOf(taskId: string, token: string): Promise<Unit[]> {
  const out: Unit[] = [];
  let cursor: string | undefined;
  do {
    const res = await t.get(`/api/v1/tasks/${taskId}/items`, { token, query: { limit: 500, cursor } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    out.push(...res.body.data);
    cursor = res.body.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

const countsOf = async (taskId: string, token: string) => {
  const task = (await t.get(`/api/v1/tasks/${taskId}`, { token })).body;
  const assignments = (await t.get(`/api/v1/tasks/${taskId}/assignments`, { token })).body.data.filter((a: any) => a.role === 'annotator');
  return { task: task.counts, status: task.status, byAssignee: Object.fromEntries(assignments.map((a: any) => [a.assigneeId, a.counts.items])) as Record<string, number> };
};

/**
 * The counters agree with the units: the task's with every unit, each assignment's with its
 * person's list, and the assignments' together with every unit that has one (pulling queues the rest).
 */
async function expectCountersMatchUnits(taskId: string, token: string, people: TestUser[]) {
  const counts = await countsOf(taskId, token);
  const all = await unitsOf(taskId, token);
  expect(counts.task.items).toBe(all.length);
  for (const p of people) expect(counts.byAssignee[p.id]).toBe((await unitsOf(taskId, p.token)).length);
  expect(Object.values(counts.byAssignee).reduce((a, b) => a + b, 0)).toBe(all.filter((u) => u.assignmentId !== null).length);
}

async function answer(taskId: string, itemId: string, shapes: unknown[], who: TestUser) {
  const a = await t.put(`/api/v1/tasks/${taskId}/items/${itemId}/annotations`, { shapes }, { token: who.token });
  expect(a.status, JSON.stringify(a.body)).toBe(200);
  const s = await t.put(`/api/v1/tasks/${taskId}/items/${itemId}/status`, { status: 'completed' }, { token: who.token });
  expect(s.status, JSON.stringify(s.body)).toBe(200);
}

const goldOf = (units: Unit[], goldIds: string[]) => units.filter((u) => goldIds.includes(u.itemId)).map((u) => u.itemId).sort();

describe('honeypot tasks with distribution (docs/allocation.md, docs/review-quality.md Gold)', () => {
  it('refuses honeypot settings on another task type, or a honeypot task without them, with 422 and no task', async () => {
    const w = await honeypotWorld(4, 1);
    const listed = async () => (await t.get(`/api/v1/projects/${w.projectId}/tasks`, { token: w.token })).body.data.length;
    for (const body of [
      { type: 'labeling', honeypot: { goldItemIds: w.goldIds, ratio: 0.25 } },
      { type: 'qualification', honeypot: { goldItemIds: w.goldIds, ratio: 0.25 } },
      { type: 'honeypot' },
    ]) {
      const res = await t.post(`/api/v1/projects/${w.projectId}/tasks`, { name: 'x', datasetId: w.datasetId, ...body }, { token: w.token });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.code).toBe('validation_failed');
    }
    expect(await listed()).toBe(0);
  });

  it('mixes gold into each annotator’s share at the ratio, unannounced, and scores them on it', async () => {
    const w = await honeypotWorld(16, 4);
    const good = await t.member(w.projectId, 'annotator');
    const careless = await t.member(w.projectId, 'annotator');
    const task = await createHoneypot(w, { assigneeIds: [good.id, careless.id], honeypot: { goldItemIds: w.goldIds, ratio: 0.25 } });
    // 12 regular items, 6 per person; 2 gold units on top of each share: 2 of 8 = 25 %.
    expect(task.counts.items).toBe(16);

    const shares = new Map<string, Unit[]>();
    for (const who of [good, careless]) {
      const units = await unitsOf(task.id, who.token);
      shares.set(who.id, units);
      expect(units).toHaveLength(8);
      expect(goldOf(units, w.goldIds)).toHaveLength(2);
      expect(new Set(units.map((u) => u.itemId)).size).toBe(8);
      // Unannounced: a gold unit looks like every other unit of the share, field for field.
      const shape = (u: Unit) => ({ keys: Object.keys(u).sort(), workerId: u.workerId, copy: u.copy, status: u.status, leaseExpiresAt: u.leaseExpiresAt, startedAt: u.startedAt, assignmentId: u.assignmentId });
      expect(new Set(units.map((u) => JSON.stringify(shape(u)))).size).toBe(1);
      expect(units[0]!.workerId).toBe(who.id);
      expect(Object.keys(units[0]!)).not.toContain('isGold');
    }
    const regularHeld = [...shares.values()].flatMap((units) => units.filter((u) => !w.goldIds.includes(u.itemId)).map((u) => u.itemId));
    expect(regularHeld.sort()).toEqual([...w.regularIds].sort());
    await expectCountersMatchUnits(task.id, w.token, [good, careless]);

    // Everyone answers "cat" or "dog" everywhere: only gold units are scored.
    for (const u of shares.get(good.id)!) await answer(task.id, u.itemId, cat, good);
    for (const u of shares.get(careless.id)!) await answer(task.id, u.itemId, dog, careless);
    const scores = (await t.get(`/api/v1/tasks/${task.id}/scores`, { token: w.token })).body;
    const by = Object.fromEntries(scores.perAnnotator.map((p: any) => [p.annotatorId, p]));
    expect(by[good.id]).toMatchObject({ units: 2, accuracy: 1 });
    expect(by[careless.id]).toMatchObject({ units: 2, accuracy: 0 });
    const analytics = (await t.get(`/api/v1/tasks/${task.id}/analytics`, { token: w.token })).body;
    const metrics = Object.fromEntries(analytics.annotators.map((a: any) => [a.annotatorId, a]));
    expect(metrics[good.id]).toMatchObject({ units: 8, done: 8, accuracy: 1, scoredUnits: 2 });
    expect(metrics[careless.id]).toMatchObject({ units: 8, done: 8, accuracy: 0, scoredUnits: 2 });
    const counts = await countsOf(task.id, w.token);
    expect(counts.status).toBe('completed');
    expect(counts.task).toMatchObject({ items: 16, done: 16, pending: 0 });
  });

  it('keeps gold with its person when the team changes, tops up newcomers, and drops a leaver’s unstarted gold', async () => {
    const w = await honeypotWorld(16, 4);
    const [a, b, c] = [await t.member(w.projectId, 'annotator'), await t.member(w.projectId, 'annotator'), await t.member(w.projectId, 'annotator')];
    const task = await createHoneypot(w, { assigneeIds: [a.id, b.id], honeypot: { goldItemIds: w.goldIds, ratio: 0.25 } });
    const goldBefore = new Map<string, string[]>();
    for (const who of [a, b]) goldBefore.set(who.id, goldOf(await unitsOf(task.id, who.token), w.goldIds));
    // a finishes one gold and one regular item: finished units never move.
    const aUnits = await unitsOf(task.id, a.token);
    const aGoldDone = aUnits.find((u) => w.goldIds.includes(u.itemId))!.itemId;
    const aRegularDone = aUnits.find((u) => !w.goldIds.includes(u.itemId))!.itemId;
    await answer(task.id, aGoldDone, cat, a);
    await answer(task.id, aRegularDone, cat, a);

    // c joins: the regular items without a status are rebalanced over three, gold stays put.
    const joined = await t.patch(`/api/v1/tasks/${task.id}`, { assigneeIds: [a.id, b.id, c.id] }, { token: w.token });
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    for (const who of [a, b]) expect(goldOf(await unitsOf(task.id, who.token), w.goldIds)).toEqual(goldBefore.get(who.id));
    const cUnits = await unitsOf(task.id, c.token);
    const cRegular = cUnits.filter((u) => !w.goldIds.includes(u.itemId)).length;
    expect(cRegular).toBe(4);
    expect(goldOf(cUnits, w.goldIds)).toHaveLength(Math.round(cRegular / 3));
    expect(cUnits.every((u) => u.workerId === c.id)).toBe(true);
    await expectCountersMatchUnits(task.id, w.token, [a, b, c]);
    // The manager sees each regular item exactly once.
    const all = await unitsOf(task.id, w.token);
    expect(all.filter((u) => !w.goldIds.includes(u.itemId)).map((u) => u.itemId).sort()).toEqual([...w.regularIds].sort());

    // An explicit rebalance moves no gold either.
    expect((await t.post(`/api/v1/tasks/${task.id}/rebalance`, {}, { token: w.token })).status).toBe(200);
    for (const who of [a, b]) expect(goldOf(await unitsOf(task.id, who.token), w.goldIds)).toEqual(goldBefore.get(who.id));

    // b leaves: b's regular items go to a and c, b's unstarted gold goes away (it is nobody else's).
    const left = await t.patch(`/api/v1/tasks/${task.id}`, { assigneeIds: [a.id, c.id] }, { token: w.token });
    expect(left.status, JSON.stringify(left.body)).toBe(200);
    await expectCountersMatchUnits(task.id, w.token, [a, c]);
    expect((await countsOf(task.id, w.token)).byAssignee[b.id]).toBeUndefined();
    for (const who of [a, c]) {
      const units = await unitsOf(task.id, who.token);
      const regular = units.length - goldOf(units, w.goldIds).length;
      expect(regular).toBe(6);
      expect(goldOf(units, w.goldIds).length).toBe(2);
      expect(new Set(units.map((u) => u.itemId)).size).toBe(units.length);
    }
    expect(goldOf(await unitsOf(task.id, a.token), w.goldIds)).toEqual(goldBefore.get(a.id));

    // Everything left can be finished: the task completes (no orphaned gold unit holds it open).
    for (const who of [a, c]) for (const u of await unitsOf(task.id, who.token)) if (u.status === null) await answer(task.id, u.itemId, cat, who);
    const counts = await countsOf(task.id, w.token);
    expect(counts.status).toBe('completed');
    expect(counts.task).toMatchObject({ items: 16, done: 16, pending: 0 });
  });

  it('tops gold up as items are added, never adding a gold item as a regular one', async () => {
    const w = await honeypotWorld(16, 4);
    const [a, b] = [await t.member(w.projectId, 'annotator'), await t.member(w.projectId, 'annotator')];
    const task = await createHoneypot(w, { itemIds: w.regularIds.slice(0, 4), assigneeIds: [a.id, b.id], honeypot: { goldItemIds: w.goldIds, ratio: 0.25 } });
    // 2 regular units each: round(2 / 3) = 1 gold unit each.
    expect(task.counts.items).toBe(6);
    for (const who of [a, b]) expect(goldOf(await unitsOf(task.id, who.token), w.goldIds)).toHaveLength(1);
    const added = await t.post(`/api/v1/tasks/${task.id}/items`, { allRemaining: true }, { token: w.token });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    expect(added.body.added).toBe(8);
    for (const who of [a, b]) {
      const units = await unitsOf(task.id, who.token);
      expect(units).toHaveLength(8);
      expect(goldOf(units, w.goldIds)).toHaveLength(2);
      expect(new Set(units.map((u) => u.itemId)).size).toBe(8);
    }
    await expectCountersMatchUnits(task.id, w.token, [a, b]);
  });

  it('gives a group share no gold: gold belongs to one person from the start', async () => {
    const w = await honeypotWorld(10, 2);
    const member = await t.member(w.projectId, 'annotator');
    const group = await t.post(`/api/v1/projects/${w.projectId}/groups`, { name: 'crew', memberIds: [member.id] }, { token: w.token });
    expect(group.status, JSON.stringify(group.body)).toBe(201);
    const task = await createHoneypot(w, { assigneeIds: [group.body.id], honeypot: { goldItemIds: w.goldIds, ratio: 0.25 } });
    expect(task.counts.items).toBe(8);
    expect(goldOf(await unitsOf(task.id, member.token), w.goldIds)).toEqual([]);
  });
});

describe('gold scores stay with the people who run the test', () => {
  it('answers 403 to the annotators of honeypot and qualification tasks on scores and analytics, 200 to viewers and reviewers', async () => {
    const w = await honeypotWorld(8, 2);
    const annotator = await t.member(w.projectId, 'annotator');
    const viewer = await t.member(w.projectId, 'viewer');
    const reviewer = await t.member(w.projectId, 'reviewer');
    const honeypot = await createHoneypot(w, { assigneeIds: [annotator.id], honeypot: { goldItemIds: w.goldIds, ratio: 0.25 } });
    const qualification = (await t.post(`/api/v1/projects/${w.projectId}/tasks`, { name: 'q', type: 'qualification', datasetId: w.datasetId, itemIds: w.goldIds, assigneeIds: [annotator.id] }, { token: w.token })).body;
    const labeling = (await t.post(`/api/v1/projects/${w.projectId}/tasks`, { name: 'l', type: 'labeling', datasetId: w.datasetId, assigneeIds: [annotator.id] }, { token: w.token })).body;
    // The annotator has answered a gold item: its score exists and must not show.
    const gold = (await unitsOf(honeypot.id, annotator.token)).find((u) => w.goldIds.includes(u.itemId))!;
    await answer(honeypot.id, gold.itemId, dog, annotator);
    for (const taskId of [honeypot.id, qualification.id]) {
      for (const path of ['scores', 'scores/items', 'analytics']) {
        const refused = await t.get(`/api/v1/tasks/${taskId}/${path}`, { token: annotator.token });
        expect(refused.status, path).toBe(403);
        expect(refused.body.code).toBe('forbidden');
        for (const who of [viewer, reviewer]) expect((await t.get(`/api/v1/tasks/${taskId}/${path}`, { token: who.token })).status, path).toBe(200);
      }
    }
    expect((await t.get(`/api/v1/tasks/${honeypot.id}/scores/items`, { token: viewer.token })).body.data.map((i: any) => i.itemId)).toEqual([gold.itemId]);
    for (const path of ['scores', 'scores/items', 'analytics']) expect((await t.get(`/api/v1/tasks/${labeling.id}/${path}`, { token: annotator.token })).status, path).toBe(200);
  });
});

describe('honeypot tasks with pulling', () => {
  it('serves gold at the ratio in every pull, scores it, and pauses an annotator below minAccuracy', async () => {
    const w = await honeypotWorld(25, 5);
    const good = await t.member(w.projectId, 'annotator');
    const careless = await t.member(w.projectId, 'annotator');
    const task = await createHoneypot(w, {
      assigneeIds: [good.id, careless.id],
      allocation: { method: 'pulling', batchSize: 5, maxWorkload: 5 },
      honeypot: { goldItemIds: w.goldIds, ratio: 0.2 },
    });
    expect(task.counts.items).toBe(20);
    expect((await t.put(`/api/v1/tasks/${task.id}/quality`, { honeypot: { minAccuracy: 0.5, minAnswers: 2 } }, { token: w.token })).status).toBe(200);
    const served = new Map<string, string[]>([[good.id, []], [careless.id, []]]);
    const pullAndAnswer = async (who: TestUser, shapes: unknown[]) => {
      const res = await t.post(`/api/v1/tasks/${task.id}/pull`, {}, { token: who.token });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const items = res.body.items as Unit[];
      expect(items).toHaveLength(5);
      // One in five is gold, in every batch; never the same gold item twice to one person.
      expect(goldOf(items, w.goldIds)).toHaveLength(1);
      served.get(who.id)!.push(...items.map((u) => u.itemId));
      expect(new Set(served.get(who.id)).size).toBe(served.get(who.id)!.length);
      for (const u of items) await answer(task.id, u.itemId, shapes, who);
    };
    await pullAndAnswer(good, cat);
    await pullAndAnswer(careless, dog);
    // One wrong gold answer is under minAnswers: careless still pulls.
    expect((await t.get(`/api/v1/tasks/${task.id}/pauses`, { token: w.token })).body.data).toEqual([]);
    await pullAndAnswer(careless, dog);
    const pauses = (await t.get(`/api/v1/tasks/${task.id}/pauses`, { token: w.token })).body.data;
    expect(pauses).toEqual([expect.objectContaining({ userId: careless.id, accuracy: 0, answers: 2 })]);
    const refused = await t.post(`/api/v1/tasks/${task.id}/pull`, {}, { token: careless.token });
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatch(/paused/);
    // good keeps pulling while regular items last.
    await pullAndAnswer(good, cat);
    const scores = (await t.get(`/api/v1/tasks/${task.id}/scores`, { token: w.token })).body;
    const by = Object.fromEntries(scores.perAnnotator.map((p: any) => [p.annotatorId, p]));
    expect(by[good.id]).toMatchObject({ units: 2, accuracy: 1 });
    expect(by[careless.id]).toMatchObject({ units: 2, accuracy: 0 });
    for (const who of [good, careless]) expect(goldOf(served.get(who.id)!.map((itemId) => ({ itemId }) as Unit), w.goldIds).length / served.get(who.id)!.length).toBe(0.2);
    await expectCountersMatchUnits(task.id, w.token, [good, careless]);
  });
  it('drops the unfinished gold of an annotator who leaves, so the others can finish the task', async () => {
    const w = await honeypotWorld(12, 2);
    const [a, b] = [await t.member(w.projectId, 'annotator'), await t.member(w.projectId, 'annotator')];
    const task = await createHoneypot(w, { assigneeIds: [a.id, b.id], allocation: { method: 'pulling', batchSize: 5, maxWorkload: 10 }, honeypot: { goldItemIds: w.goldIds, ratio: 0.2 } });
    const held = (await t.post(`/api/v1/tasks/${task.id}/pull`, {}, { token: a.token })).body.items as Unit[];
    expect(goldOf(held, w.goldIds)).toHaveLength(1);
    await answer(task.id, held.find((u) => !w.goldIds.includes(u.itemId))!.itemId, cat, a);
    expect((await t.patch(`/api/v1/tasks/${task.id}`, { assigneeIds: [b.id] }, { token: w.token })).status).toBe(200);
    // a's finished item stays theirs; the 3 regular items a held go back to the queue; a's gold goes.
    expect((await countsOf(task.id, w.token)).task.items).toBe(10);
    for (let round = 0; round < 10; round++) {
      const items = (await t.post(`/api/v1/tasks/${task.id}/pull`, {}, { token: b.token })).body.items as Unit[];
      if (!items.length) break;
      for (const u of items) await answer(task.id, u.itemId, cat, b);
    }
    const counts = await countsOf(task.id, w.token);
    expect(counts.status).toBe('completed');
    expect(counts.task.pending).toBe(0);
    await expectCountersMatchUnits(task.id, w.token, [b]);
  });
});


describe('what annotators are told about gold', () => {
  it('answers 404 to an annotator who touches someone else’s gold unit, and lets its owner work it', async () => {
    const w = await honeypotWorld(8, 2);
    const [a, b] = [await t.member(w.projectId, 'annotator'), await t.member(w.projectId, 'annotator')];
    const task = await createHoneypot(w, { assigneeIds: [a.id], honeypot: { goldItemIds: w.goldIds, ratio: 0.25 } });
    const goldUnit = (await unitsOf(task.id, a.token)).find((u) => w.goldIds.includes(u.itemId))!;
    // For b, an annotator of the project, a's gold unit does not exist: not a 422 naming its worker.
    for (const res of [
      await t.put(`/api/v1/tasks/${task.id}/items/${goldUnit.itemId}/status`, { status: 'completed' }, { token: b.token }),
      await t.put(`/api/v1/tasks/${task.id}/items/${goldUnit.itemId}/annotations`, { shapes: dog }, { token: b.token }),
    ]) {
      expect(res.status, JSON.stringify(res.body)).toBe(404);
      expect(JSON.stringify(res.body)).not.toContain(a.id);
    }
    // A regular item of a's share is refused with 403, as before.
    const regular = (await unitsOf(task.id, a.token)).find((u) => !w.goldIds.includes(u.itemId))!;
    expect((await t.put(`/api/v1/tasks/${task.id}/items/${regular.itemId}/status`, { status: 'completed' }, { token: b.token })).status).toBe(403);
    const mine = (await unitsOf(task.id, w.token)).find((u) => u.itemId === goldUnit.itemId)!;
    expect(mine.status).toBeNull();
    await answer(task.id, goldUnit.itemId, cat, a);
  });

  it('keeps gold with its person when a manager reassigns their items', async () => {
    const w = await honeypotWorld(16, 4);
    const [a, b] = [await t.member(w.projectId, 'annotator'), await t.member(w.projectId, 'annotator')];
    const task = await createHoneypot(w, { assigneeIds: [a.id, b.id], honeypot: { goldItemIds: w.goldIds, ratio: 0.25 } });
    const goldOfA = goldOf(await unitsOf(task.id, a.token), w.goldIds);
    const goldOfB = goldOf(await unitsOf(task.id, b.token), w.goldIds);
    expect(goldOfA).toHaveLength(2);
    // All of a's unfinished items, and then a's gold items named one by one: only regular items move.
    const all = await t.post(`/api/v1/tasks/${task.id}/reassign`, { fromId: a.id, toId: b.id }, { token: w.token });
    expect(all.status, JSON.stringify(all.body)).toBe(200);
    expect(all.body.moved).toBe(6);
    const named = await t.post(`/api/v1/tasks/${task.id}/reassign`, { fromId: a.id, toId: b.id, itemIds: goldOfA }, { token: w.token });
    expect(named.body.moved).toBe(0);
    expect(goldOf(await unitsOf(task.id, a.token), w.goldIds)).toEqual(goldOfA);
    expect(await unitsOf(task.id, a.token)).toHaveLength(2);
    expect(goldOf(await unitsOf(task.id, b.token), w.goldIds)).toEqual(goldOfB);
    expect(await unitsOf(task.id, b.token)).toHaveLength(14);
    await expectCountersMatchUnits(task.id, w.token, [a, b]);
  });

  it('hides the gold item ids and gold answers from annotators, shows them to managers', async () => {
    const w = await honeypotWorld(8, 2);
    const a = await t.member(w.projectId, 'annotator');
    const manager = await t.member(w.projectId, 'manager');
    const task = await createHoneypot(w, { honeypot: { goldItemIds: w.goldIds, ratio: 0.25 }, assigneeIds: [a.id], allocation: { method: 'pulling' } });

    const asAnnotator = (await t.get(`/api/v1/tasks/${task.id}`, { token: a.token })).body;
    expect(asAnnotator.honeypot).toEqual({ ratio: 0.25 });
    const listed = (await t.get(`/api/v1/projects/${w.projectId}/tasks`, { token: a.token })).body.data.find((x: any) => x.id === task.id);
    expect(listed.honeypot).toEqual({ ratio: 0.25 });
    expect((await t.get(`/api/v1/items/${w.goldIds[0]}`, { token: a.token })).body.gold).toBeNull();

    expect((await t.get(`/api/v1/tasks/${task.id}`, { token: manager.token })).body.honeypot).toEqual({ goldItemIds: w.goldIds, ratio: 0.25 });
    const managerList = (await t.get(`/api/v1/projects/${w.projectId}/tasks`, { token: manager.token })).body.data.find((x: any) => x.id === task.id);
    expect(managerList.honeypot.goldItemIds).toEqual(w.goldIds);
    expect((await t.get(`/api/v1/items/${w.goldIds[0]}`, { token: manager.token })).body.gold).toEqual(cat);
  });
});
