import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Ctx } from '../context.ts';
import { exportDir, retentionDays } from './export-files.ts';
import { expiredExports, markFileDeleted } from './exports.service.ts';

/** Deletes the files of exports finished more than the retention period ago; their rows (and manifests) stay. */
export async function applyRetention(ctx: Ctx, now = ctx.clock.now()) {
  const before = new Date(now.getTime() - retentionDays() * 86_400_000);
  let removed = 0;
  for (;;) {
    const batch = await expiredExports(ctx.db, before);
    for (const row of batch) {
      await rm(join(exportDir(), row.storedAs!), { force: true });
      await markFileDeleted(ctx.db, row.id);
      removed++;
    }
    if (batch.length < 1000) return { removed };
  }
}
