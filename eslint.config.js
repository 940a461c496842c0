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
 * Files whose SQL text names another module's tables, each with why (test/lint/raw-sql-owners.test.ts
 * fails on any file not listed here). ESLint sees imports, not SQL strings; this list is the one
 * place such reads are allowed. Everything else goes through the owner's exported functions or
 * subqueries (`unitFacts`, `itemFacts`, `groupIdsOfSql`, ...).
 */
export const rawSqlAcrossModules = {
  'src/quality/analytics.service.ts': 'the reporting read model (above)',
  'src/quality/progress-reports.service.ts': 'reporting read model: progress reports join tasks, units, issues, members',
  'src/quality/agreement.service.ts': 'reporting read model: agreement matrices over every copy of an item',
  'src/annotations/annotations-for-export.ts': 'export read model: one streamed statement over units, items and answers (docs/exports.md)',
  'src/assignments/claim.ts': 'hot path: the pull claim is one database function over units and items (docs/benchmarks.md)',
  'src/assignments/lease-sweep.ts': 'hot path: expired leases swept in one statement per task',
  'src/tasks/task-items.service.ts': 'hot path: the status write is one statement (unit, audit, event, counters)',
  'src/task-units/distribute.ts': 'units are inserted from a selection of the dataset\'s items in one statement',
};

const folderModules = layers.flat().filter((m) => !['routes', 'http', 'sdk'].includes(m));

/**
 * Elements are folders (eslint-plugin-boundaries 7: element patterns match folders, never single
 * files): each module's folder, `sdk`, and `src` itself for the files directly in it (the kernel,
 * `src/context.ts`), listed last so that a module's folder always wins. The file-level layers
 * (`routes`, `http`) and drizzle-kit's schema list are file categories inside their folders.
 */
const elements = [
  { type: 'sdk', pattern: 'sdk' },
  ...folderModules.map((m) => ({ type: m, pattern: `src/${m}`, partialMatch: false })),
  { type: KERNEL, pattern: 'src', partialMatch: false },
];

const files = [
  // drizzle-kit's list of every table (not imported by code: `db/client.ts` has no schema).
  { category: 'schema', pattern: 'src/db/schema.ts' },
  { category: 'http', pattern: ['src/api/access.ts', 'src/api/problem.ts'] },
  { category: 'routes', pattern: 'src/*/*.routes.ts' },
];

const below = (name) => {
  const i = layers.findIndex((l) => l.includes(name));
  return layers.slice(i + 1).flat();
};

const tableFile = '**/*.table.ts';

const routesFile = { file: { categories: 'routes' } };
const httpFile = { file: { categories: 'http' } };
/** The folder elements (`routes` and `http` are file categories, not folders). */
const folderTypes = (names) => names.filter((m) => !['routes', 'http'].includes(m));

// Later policies override earlier ones where both match.
const policies = [
  // Files of one folder import each other freely (`checkInternals` has the rule see these imports
  // only so that the policies below can refuse a routes or http file its own folder's tables).
  { allow: { dependency: { relationship: { to: 'internal' } } } },
  // The DAG: each element may import what lies below it, and the kernel.
  ...folderTypes(layers.flat()).map((m) => ({ from: { element: { type: m } }, allow: { to: { element: { types: [...folderTypes(below(m)), KERNEL] } } } })),
  // The kernel names the types it carries: the database handle, the clock, the job queue.
  { from: { element: { type: KERNEL } }, allow: { to: { element: { types: ['core', 'db'] } } } },
  { from: { element: { type: KERNEL } }, allow: { to: { element: { type: 'jobs' } }, dependency: { kind: 'type' } } },
  // A module's routes file sits in the `routes` layer, whatever its folder: it may import every
  // module below `routes` and the `http` files, and names the app's type (`App`), nothing else of `api/`.
  { from: routesFile, allow: { to: { element: { types: [...folderTypes(below('routes')), KERNEL] } } } },
  { from: routesFile, allow: { to: httpFile } },
  { from: routesFile, allow: { to: { element: { type: 'api' } }, dependency: { kind: 'type' } } },
  // Only `api/` (which collects them) and `main` import a routes file.
  { from: { element: { types: folderTypes(below('api')) } }, disallow: { to: routesFile } },
  // The `http` files sit below `routes` and `api/`: they import neither.
  { from: httpFile, disallow: { to: routesFile } },
  { from: httpFile, disallow: { to: { element: { types: ['api', 'main'] } } } },
  // A module owns its tables: another module's `*.table.ts` is never imported...
  ...folderModules.map((m) => ({
    from: { element: { type: m } },
    disallow: { to: { element: { types: folderModules.filter((o) => o !== m), fileInternalPath: tableFile } } },
  })),
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
  // ...never by a routes or http file or the kernel, not even their own module's tables,
  { from: [routesFile, httpFile, { element: { type: KERNEL } }], disallow: { to: { element: { fileInternalPath: tableFile } } } },
  // ...by drizzle-kit's schema list,
  { from: { file: { categories: 'schema' } }, allow: { to: { element: { fileInternalPath: tableFile } } } },
  // ...and by the reporting read model (still bound by the DAG).
  ...readModelExceptions.map((file) => {
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
      'boundaries/files': files,
      'boundaries/include': ['src/**/*.ts', 'sdk/**/*.ts'],
      'import/resolver': { node: { extensions: ['.ts'] } },
    },
    rules: {
      'boundaries/dependencies': ['error', { default: 'disallow', checkInternals: true, policies }],
    },
  },
);
