import type { TestProject } from 'vitest/node';
import { prepareTemplate } from './test-db.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    testDatabaseUrl: string;
    testSnapshotPath: string;
  }
}

export default async function setup(project: TestProject) {
  const template = await prepareTemplate();
  project.provide('testDatabaseUrl', template.databaseUrl ?? '');
  project.provide('testSnapshotPath', template.snapshotPath ?? '');
  return template.cleanup;
}
