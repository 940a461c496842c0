import { z } from 'zod';
import type { App } from '../api/app.ts';
import type { Ctx } from '../context.ts';
import { callerOf, SESSION_COOKIE } from '../api/access.ts';
import { notFound } from '../core/errors.ts';
import { page, pageQuery } from '../core/pagination.ts';
import { userWithProjects } from '../projects/projects.service.ts';
import * as auth from './auth.service.ts';
import { passwordField } from './auth.schema.ts';
import { resetPassword, setUserActive } from './deactivation.ts';
import { createdTokenOut, createTokenBody, createUserBody, loginBody, meOut, tokenOut, userOut } from './auth.schema.ts';

const userParams = z.object({ userId: z.string() });
const tags = ['auth'];

export async function authRoutes(app: App, ctx: Ctx) {
  app.post('/api/v1/auth/login', {
    config: { access: 'public' },
    schema: {
      tags,
      summary: 'Sign in with email and password; sets an httpOnly session cookie',
      body: loginBody,
      response: { 200: z.object({ user: userOut, expiresAt: z.date() }) },
    },
  }, async (request, reply) => {
    const result = await auth.login(ctx, { ...request.body, address: request.ip });
    reply.setCookie(SESSION_COOKIE, result.sessionToken, {
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      secure: request.protocol === 'https',
      expires: result.expiresAt,
    });
    return { user: result.user, expiresAt: result.expiresAt };
  });

  app.post('/api/v1/auth/logout', {
    config: { access: 'public' },
    schema: { tags, summary: 'Sign out: ends the session', response: { 204: z.null() } },
  }, async (request, reply) => {
    const session = request.cookies[SESSION_COOKIE];
    if (session) await auth.logout(ctx, session);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send(null);
  });

  app.get('/api/v1/me', {
    config: { access: 'user' },
    schema: { tags, summary: 'The signed-in user and their projects', response: { 200: meOut } },
  }, async (request) => {
    const me = await userWithProjects(ctx, callerOf(request));
    if (!me) throw notFound('User');
    return me;
  });

  app.patch('/api/v1/me', {
    config: { access: 'user' },
    schema: {
      tags,
      summary: 'Change your name or password',
      description: 'A new `password` needs `currentPassword`; it ends your other sessions (API tokens stay: revoke them one by one).',
      body: z.object({ name: z.string().trim().min(1).max(200).optional(), password: passwordField.optional(), currentPassword: z.string().max(1024).optional() }),
      response: { 200: userOut },
    },
  }, async (request) => auth.updateSelf(ctx, callerOf(request), request.body, request.cookies[SESSION_COOKIE]));

  app.post('/api/v1/users', {
    config: { access: 'admin' },
    schema: { tags, summary: 'Create a user (sign-up is closed)', body: createUserBody, response: { 201: userOut } },
  }, async (request, reply) => reply.code(201).send(await auth.createUser(ctx, callerOf(request), request.body)));

  app.get('/api/v1/users', {
    config: { access: 'admin' },
    schema: {
      tags,
      summary: 'List users (administrators); `q` matches email or name; `deactivatedAt` is set while a user is deactivated',
      querystring: pageQuery.extend({ q: z.string().max(200).optional() }),
      response: { 200: page(userOut.extend({ deactivatedAt: z.date().nullable() })) },
    },
  }, async (request) => auth.listUsers(ctx, callerOf(request), request.query));

  for (const action of ['deactivate', 'reactivate'] as const) {
    app.post(`/api/v1/users/:userId/${action}`, {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: action === 'deactivate' ? 'Deactivate a user: ends their sessions and revokes their tokens' : 'Let a deactivated user sign in again',
        params: z.object({ userId: z.string() }),
        response: { 200: z.object({ id: z.string(), email: z.string(), name: z.string(), isAdmin: z.boolean(), deactivatedAt: z.date().nullable() }) },
      },
    }, async (request) => setUserActive(ctx, callerOf(request), request.params.userId, action === 'reactivate'));
  }

  app.post('/api/v1/users/:userId/password', {
    config: { access: 'admin' },
    schema: {
      tags,
      summary: 'Set another user’s password (administrators): ends their sessions; their API tokens stay',
      params: z.object({ userId: z.string() }),
      body: z.object({ password: passwordField }).strict(),
      response: { 200: z.object({ id: z.string(), email: z.string(), name: z.string(), isAdmin: z.boolean(), deactivatedAt: z.date().nullable(), sessionsEnded: z.number().int() }) },
    },
  }, async (request) => resetPassword(ctx, callerOf(request), request.params.userId, request.body.password));

  app.post('/api/v1/users/:userId/tokens', {
    config: { access: 'user', mintsSecret: true },
    schema: {
      tags,
      summary: 'Issue an API token (administrators, or users for themselves). The token is shown once.',
      params: userParams,
      body: createTokenBody,
      response: { 201: createdTokenOut },
    },
  }, async (request, reply) =>
    reply.code(201).send(await auth.createToken(ctx, callerOf(request), request.params.userId, request.body.name)));

  app.get('/api/v1/users/:userId/tokens', {
    config: { access: 'user' },
    schema: { tags, summary: 'List a user’s tokens (never the tokens themselves)', params: userParams, response: { 200: z.object({ data: z.array(tokenOut) }) } },
  }, async (request) => ({ data: await auth.listTokens(ctx, callerOf(request), request.params.userId) }));

  app.delete('/api/v1/users/:userId/tokens/:tokenId', {
    config: { access: 'user' },
    schema: { tags, summary: 'Revoke a token', params: userParams.extend({ tokenId: z.string() }), response: { 200: tokenOut } },
  }, async (request) => auth.revokeToken(ctx, callerOf(request), request.params.userId, request.params.tokenId));
}
