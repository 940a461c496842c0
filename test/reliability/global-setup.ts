import type { TestProject } from 'vitest/node';
import setup from '../support/global-setup.ts';

/** PostgreSQL by default (a fresh database per run, dropped after); override with TEST_DATABASE_URL. */
export default async function reliabilitySetup(project: TestProject) {
  process.env.TEST_DATABASE_URL ||= process.env.RELIABILITY_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
  project.provide('reliabilityDatabaseUrl', process.env.TEST_DATABASE_URL);
  return setup(project);
}

declare module 'vitest' {
  export interface ProvidedContext {
    reliabilityDatabaseUrl: string;
  }
}
