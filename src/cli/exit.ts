import { CommanderError } from 'commander';
import { LoupeError } from '../../sdk/index.ts';
import { UnreachableError, UsageError } from './context.ts';

/** docs/cli.md#exit-codes: 0 ok, 1 usage, 2 refused by the server, 3 unreachable. */
export const EXIT = { ok: 0, usage: 1, refused: 2, unreachable: 3 } as const;

export function exitCodeOf(error: unknown): number {
  if (error instanceof LoupeError) return EXIT.refused;
  if (error instanceof UnreachableError) return EXIT.unreachable;
  if (error instanceof UsageError || error instanceof CommanderError) return EXIT.usage;
  const cause = (error as { cause?: { code?: string } }).cause;
  if (error instanceof TypeError && (error.message === 'fetch failed' || cause?.code === 'ECONNREFUSED')) return EXIT.unreachable;
  return EXIT.usage;
}
