import { z } from 'zod';
import { roles } from './projects.table.ts';

export const role = z.enum(roles);

export const projectSettings = z.object({
  requireStatusRemovalBeforeEdit: z.boolean().optional(),
});

export const projectOut = z.object({
  id: z.string(),
  name: z.string(),
  settings: projectSettings,
  role: role.nullable().describe('The caller’s role; administrators who are not members see null'),
  createdAt: z.date(),
  updatedAt: z.date(),
});

export const createProjectBody = z.object({
  name: z.string().trim().min(1).max(200),
  settings: projectSettings.optional(),
});

export const patchProjectBody = z
  .object({ name: z.string().trim().min(1).max(200).optional(), settings: projectSettings.optional() })
  .refine((b) => b.name !== undefined || b.settings !== undefined, 'Give name or settings');

export const memberOut = z.object({
  userId: z.string(),
  email: z.string(),
  name: z.string(),
  role,
  createdAt: z.date(),
});

export const putMemberBody = z.object({ role });

export const groupOut = z.object({
  id: z.string(),
  projectId: z.string(),
  name: z.string(),
  memberIds: z.array(z.string()),
  createdAt: z.date(),
});

export const createGroupBody = z.object({
  name: z.string().trim().min(1).max(200),
  memberIds: z.array(z.string().max(320)).max(1000).default([]).describe('User ids or emails; each must be a member of the project'),
});

export const patchGroupBody = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  memberIds: z.array(z.string().max(320)).max(1000).optional(),
});

export const summaryOut = z.object({
  tasks: z.number().int(),
  assignments: z.number().int(),
  openIssues: z.number().int(),
  pendingReviews: z.number().int(),
});
