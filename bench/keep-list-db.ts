import { openTarget } from './support/target.ts';
import { seedBigProject } from './workloads/task-list.ts';
const target = await openTarget('postgres', { baseUrl: 'postgres://postgres@127.0.0.1:5432/test', pglitePath: 'memory' });
const big = await seedBigProject(target, 100_000);
console.log(JSON.stringify({ url: target.databaseUrl, projectId: big.projectId, token: big.caller.token, callerId: big.caller.id }));
process.exit(0);
