import type { TestApp, TestUser } from './test-app.ts';

/**
 * How the route-by-role harness finds a real object for each path parameter: given a project
 * and its owner, make (or find) an object of that kind inside the project and return its id.
 * Every module that adds a path parameter registers a fixture here; the harness fails, naming
 * the parameter, when one is missing.
 */
export type ParamFixture = (t: TestApp, project: { id: string; owner: TestUser }) => Promise<string>;

export const paramFixtures: Record<string, ParamFixture> = {
  projectId: async (_t, project) => project.id,
  groupId: async (t, project) => {
    const res = await t.post(`/api/v1/projects/${project.id}/groups`, { name: `g-${Math.random()}`, memberIds: [] }, { token: project.owner.token });
    return res.body.id;
  },
  userId: async (_t, project) => project.owner.id,
  tokenId: async (_t, project) => project.owner.id,
};
