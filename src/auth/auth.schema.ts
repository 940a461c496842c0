import { z } from 'zod';

export const email = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email().max(320).or(z.literal('admin@localhost')));

export const userOut = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  isAdmin: z.boolean(),
  createdAt: z.date(),
});

/** The password policy: at least 12 characters, not only whitespace (docs/sessions.md). */
export const MIN_PASSWORD_LENGTH = 12;
export const passwordField = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `A password has at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(1024)
  .refine((p) => p.trim().length >= MIN_PASSWORD_LENGTH, `A password has at least ${MIN_PASSWORD_LENGTH} characters other than surrounding spaces`);

export const createUserBody = z.object({
  email,
  name: z.string().trim().min(1).max(200),
  password: passwordField.optional(),
  isAdmin: z.boolean().optional(),
});

export const loginBody = z.object({
  email: z.string().trim().toLowerCase().max(320),
  password: z.string().max(1024),
});

export const createTokenBody = z.object({ name: z.string().trim().min(1).max(200).default('api') }).default({ name: 'api' });

export const tokenOut = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  createdAt: z.date(),
  lastUsedAt: z.date().nullable(),
  revokedAt: z.date().nullable(),
});

export const createdTokenOut = tokenOut.extend({
  token: z.string().describe('The token itself. Shown once: only its digest is stored.'),
});

export const meOut = userOut.extend({
  projects: z.array(z.object({ id: z.string(), name: z.string(), role: z.string() })),
});
