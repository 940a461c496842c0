-- Task search (`q`, docs/workflow.md "A search term reads the name's trigrams"): a GIN index of
-- the task name's trigrams, so that a rare term reads its few tasks instead of every task of the
-- project (150 ms at 100,000 tasks). It needs the pg_trgm extension: a trusted extension, which
-- any role allowed to create objects in the database may create, shipped with PostgreSQL's
-- contrib package (and loaded by the embedded database, src/db/client.ts). Where it cannot be
-- created, the migration says so and goes on: search still answers, by reading the project's
-- tasks (docs/deployment.md tells how to add the index later).
DO $$
BEGIN
  CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
  RAISE WARNING 'loupe: pg_trgm could not be created (%); task search will read every task of a project', SQLERRM;
END
$$;
--> statement-breakpoint
DO $$
DECLARE
  ext_schema name := (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm');
BEGIN
  IF ext_schema IS NOT NULL THEN
    EXECUTE format('CREATE INDEX IF NOT EXISTS "tasks_name_trgm_idx" ON "tasks" USING gin ("name" %I.gin_trgm_ops)', ext_schema);
  END IF;
END
$$;
