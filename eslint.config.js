// ESLint (flat config): typescript-eslint with type information, and the module boundaries of
// `src/` (eslint-plugin-boundaries). The README's "Modules" section draws the same order.
import tseslint from 'typescript-eslint';
import boundaries from 'eslint-plugin-boundaries';

/**
 * The server's modules, top to bottom: a module may import only the modules listed BELOW it.
 * Modules on one line are siblings (neither imports the other). Names that have no folder yet
 * (traces, evaluators, exports, workloads, webhooks, notifications, outbox) are placed already.
 * Exported for test/lint/module-order.test.ts, which checks the README draws the same order.
 */
export const layers = [
  ['main'],
  ['api'],
  ['routes'], // src/<module>/<module>.routes.ts: each module's HTTP adapter, collected by api/modules.ts
  ['http'], // src/api/access.ts, src/api/problem.ts: what the routes use to check callers and answer errors
  ['cli'],
  ['sdk'],
  ['demo'],
  ['webhooks'], // delivery fans events out to webhooks and, through notifications, to inboxes
  ['notifications'],
  ['exports'],
  ['workloads'],
  ['evaluators'],
  ['traces'],
  ['quality'],
  ['reviews'],
  ['assignments'],
  ['tasks'],
  ['annotations'], // an annotation is the content of one task unit: tasks validate it before a status
  ['task-units'],
  ['datasets'],
  ['recipes'],
  ['projects'],
  ['auth'],
  ['jobs'],
  ['outbox', 'audit'],
  ['db'],
  ['core'],
];

/** `src/context.ts`: the types-only kernel every module receives (`Ctx`, `Caller`). */
const KERNEL = 'context';

/**
 * The one reporting read model allowed to read other modules' tables (it joins across them for
 * dashboards; writing through it is not allowed either way).
 */
const readModelExceptions = ['src/quality/analytics.service.ts'];

/**
 * DEBT (issue 11, not finished): files that still query another module's tables. Each entry is
 * to be replaced by a read function the owner exports, then deleted from this list; no new
 * entry may be added. The list only lifts the table rule: these files are bound by the DAG.
 */
const pendingForeignTableReads = [
  // Added at the merge of issue 20 (robotics), same debt, same rule: replace with owner reads.
  'src/annotations/invalidate.ts',
  'src/tasks/task-datasets.service.ts',
  'src/annotations/annotations.service.ts',
  'src/assignments/assignments.service.ts',
  'src/reviews/qa-tasks.service.ts',
  'src/task-units/item-selection.ts',
  'src/task-units/resolve-assignees.ts',
  'src/task-units/task-access.ts',
  'src/tasks/create-task.ts',
  'src/tasks/list-tasks.ts',
  'src/tasks/status-listeners.ts',
  'src/tasks/task-history.ts',
  'src/tasks/task-links.ts',
  'src/tasks/task-view.ts',
  'src/tasks/tasks.schema.ts',
  'src/tasks/tasks.service.ts',
];

const folderModules = layers.flat().filter((m) => !['routes', 'http', 'sdk'].includes(m));

const elements = [
  // drizzle-kit's list of every table (not imported by code: `db/client.ts` has no schema).
  { type: 'schema', pattern: 'src/db/schema.ts', mode: 'full' },
  { type: KERNEL, pattern: 'src/context.ts', mode: 'full' },
  { type: 'http', pattern: ['src/api/access.ts', 'src/api/problem.ts'], mode: 'full' },
  { type: 'routes', pattern: 'src/*/*.routes.ts', mode: 'full' },
  { type: 'sdk', pattern: 'sdk' },
  ...folderModules.map((m) => ({ type: m, pattern: `src/${m}` })),
];

const below = (name) => {
  const i = layers.findIndex((l) => l.includes(name));
  return layers.slice(i + 1).flat();
};

const tableFile = '**/*.table.ts';

const policies = [
  // The DAG: each element may import what lies below it, and the kernel.
  ...layers.flat().map((m) => ({ from: { element: { type: m } }, allow: { to: { element: { types: [...below(m), KERNEL] } } } })),
  // The kernel names the types it carries: the database handle, the clock, the job queue.
  { from: { element: { type: KERNEL } }, allow: { to: { element: { types: ['core', 'db'] } } } },
  { from: { element: { type: KERNEL } }, allow: { to: { element: { type: 'jobs' } }, dependency: { kind: 'type' } } },
  // Routes name the app's type (`App`), nothing else of `api/`.
  { from: { element: { type: 'routes' } }, allow: { to: { element: { type: 'api' } }, dependency: { kind: 'type' } } },
  // A module owns its tables: another module's `*.table.ts` is never imported...
  ...folderModules.map((m) => ({
    from: { element: { type: m } },
    disallow: { to: { element: { types: folderModules.filter((o) => o !== m), fileInternalPath: tableFile } } },
  })),
  { from: { element: { types: ['routes', 'http', KERNEL] } }, disallow: { to: { element: { fileInternalPath: tableFile } } } },
  // ...except by a table declaring a foreign key to a lower module's table (still bound by the DAG),
  ...folderModules.map((m) => ({
    from: { element: { type: m, fileInternalPath: tableFile } },
    allow: { to: { element: { types: below(m), fileInternalPath: tableFile } } },
  })),
  // ...except for its types (a row type builds no query; still bound by the DAG),
  ...folderModules.map((m) => ({
    from: { element: { type: m } },
    allow: { to: { element: { types: below(m), fileInternalPath: tableFile } }, dependency: { kind: 'type' } },
  })),
  // ...by drizzle-kit's schema list,
  { from: { element: { type: 'schema' } }, allow: { to: { element: { fileInternalPath: tableFile } } } },
  // ...and by the reporting read model (still bound by the DAG).
  ...[...readModelExceptions, ...pendingForeignTableReads].map((file) => {
    const [, m, ...rest] = file.split('/');
    return { from: { element: { type: m, fileInternalPath: rest.join('/') } }, allow: { to: { element: { types: below(m), fileInternalPath: tableFile } } } };
  }),
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'web/dist/**', 'artifacts/**', 'data/**', 'sdk/schema.d.ts', '**/*.js', '**/*.mjs'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'sdk/**/*.ts', 'web/src/**/*.{ts,tsx}', '*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Type-aware checks that catch real bugs (a forgotten await, a promise where a value belongs).
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': elements,
      'boundaries/include': ['src/**/*.ts', 'sdk/**/*.ts'],
      'import/resolver': { node: { extensions: ['.ts'] } },
    },
    rules: {
      'boundaries/dependencies': ['error', { default: 'disallow', policies }],
    },
  },
);
