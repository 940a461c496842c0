DROP INDEX "task_items_item_idx";--> statement-breakpoint
CREATE INDEX "task_items_item_idx" ON "task_items" USING btree ("item_id","task_id");