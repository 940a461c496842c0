/**
 * Runs `deleteBatch` (one statement that deletes at most `batch` rows and says how many) until a
 * batch comes back short: a large backlog goes in many short transactions, never in one long one.
 * Returns how many rows were deleted in all.
 */
export async function deleteInBatches(batch: number, deleteBatch: (limit: number) => Promise<number>): Promise<number> {
  let deleted = 0;
  for (;;) {
    const n = await deleteBatch(batch);
    deleted += n;
    if (n < batch) return deleted;
  }
}
