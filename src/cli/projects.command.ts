import { Command } from 'commander';
import { client, cliOptions, data } from './context.ts';
import { print } from './output.ts';

type Global = () => { url?: string; token?: string; json?: boolean };

export function projectsCommand(global: Global) {
  const projects = new Command('projects').description('Projects, members and summary counters');
  projects
    .command('list')
    .description('Projects you are a member of')
    .action(async () => {
      const o = cliOptions(global());
      const page = data(await client(o).GET('/api/v1/projects', { params: { query: { limit: 500 } } }));
      print(page.data, o.json, ['id', 'name', 'role', 'createdAt']);
    });
  projects
    .command('create')
    .argument('<name>')
    .action(async (name: string) => {
      const o = cliOptions(global());
      print(data(await client(o).POST('/api/v1/projects', { body: { name } })), o.json, ['id', 'name', 'role']);
    });
  projects
    .command('summary')
    .argument('<projectId>')
    .description('Tasks, assignments, open issues and pending reviews')
    .action(async (projectId: string) => {
      const o = cliOptions(global());
      print(data(await client(o).GET('/api/v1/projects/{projectId}/summary', { params: { path: { projectId } } })), o.json);
    });
  projects
    .command('add-member')
    .argument('<projectId>')
    .argument('<user>', 'user id or email')
    .argument('<role>', 'owner | manager | reviewer | annotator | viewer')
    .action(async (projectId: string, user: string, role: 'owner' | 'manager' | 'reviewer' | 'annotator' | 'viewer') => {
      const o = cliOptions(global());
      print(data(await client(o).PUT('/api/v1/projects/{projectId}/members/{userId}', { params: { path: { projectId, userId: user } }, body: { role } })), o.json);
    });
  return projects;
}

export function usersCommand(global: Global) {
  const users = new Command('users').description('Users and API tokens (administrators)');
  users
    .command('create')
    .argument('<email>')
    .argument('<name>')
    .option('--password <password>')
    .option('--admin')
    .action(async (email: string, name: string, flags: { password?: string; admin?: boolean }) => {
      const o = cliOptions(global());
      print(data(await client(o).POST('/api/v1/users', { body: { email, name, password: flags.password, isAdmin: flags.admin } })), o.json);
    });
  users
    .command('token')
    .description('Issue an API token for a user (shown once)')
    .argument('<userId>')
    .option('--name <name>', 'what the token is for', 'cli')
    .action(async (userId: string, flags: { name: string }) => {
      const o = cliOptions(global());
      print(data(await client(o).POST('/api/v1/users/{userId}/tokens', { params: { path: { userId } }, body: { name: flags.name } })), o.json, ['id', 'name', 'token']);
    });
  return users;
}
