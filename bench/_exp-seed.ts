import { openDb } from '../src/db/client.ts';
import { runMigrations } from '../src/db/migrate.ts';
const database = await openDb({ databaseUrl: 'postgres://postgres@127.0.0.1:5432/loupe_exp' } as never);
await runMigrations(database);
console.log('migrated');
process.exit(0);
