-- The pull queue and its counters are updated constantly: vacuum them on a small absolute
-- threshold instead of a share of the table, and leave room in each page for HOT updates.
ALTER TABLE "task_items" SET (fillfactor = 80, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 500, autovacuum_analyze_scale_factor = 0.02, autovacuum_vacuum_cost_delay = 0);--> statement-breakpoint
ALTER TABLE "task_assignees" SET (fillfactor = 70, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 200, autovacuum_vacuum_cost_delay = 0);--> statement-breakpoint
ALTER TABLE "tasks" SET (fillfactor = 80, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 200, autovacuum_vacuum_cost_delay = 0);--> statement-breakpoint
ALTER TABLE "task_done_hourly" SET (fillfactor = 70, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 200);
