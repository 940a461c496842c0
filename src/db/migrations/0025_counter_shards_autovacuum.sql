-- Every status write moves a counter shard (0022): vacuum the shards on a small absolute
-- threshold, like the other hot counter tables (0003), and leave room for HOT updates.
ALTER TABLE "task_counter_shards" SET (fillfactor = 70, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 200, autovacuum_vacuum_cost_delay = 0);
