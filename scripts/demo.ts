/**
 * Seeds the demo project into a running Loupe server through its API, then prints who can
 * sign in with which password.
 *
 *   LOUPE_URL=http://127.0.0.1:3000 LOUPE_TOKEN=<admin token> npm run demo
 *
 * The server must be running (an embedded PGlite data directory belongs to one process). The
 * token is the administrator's: printed on the server's first start, or `LOUPE_ADMIN_TOKEN`.
 */
import { createLoupeClient, unwrap } from '../sdk/index.ts';

async function main() {
  const url = process.env.LOUPE_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`;
  const token = process.env.LOUPE_TOKEN ?? process.env.LOUPE_ADMIN_TOKEN;
  if (!token) {
    console.error('Set LOUPE_TOKEN to an administrator API token (printed on the server’s first start, or LOUPE_ADMIN_TOKEN).');
    process.exit(2);
  }
  const loupe = createLoupeClient(url, { token });
  const result = unwrap(await loupe.POST('/api/v1/demo', { body: {} }));
  console.log(`Demo project ${result.projectId} at ${url}/p/${result.projectId}/tasks`);
  console.log(`Seeded: ${result.steps.join(', ')}`);
  if (result.stoppedAt) console.log(`Stopped early (${result.stoppedAt}); what was seeded before is usable.`);
  console.log('\nSign in as:');
  for (const u of result.users) console.log(`  ${u.role.padEnd(10)} ${u.email.padEnd(28)} ${u.password}`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
