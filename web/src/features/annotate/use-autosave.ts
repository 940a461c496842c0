import { useCallback, useEffect, useRef, useState } from 'react';
import { LoupeError } from '../../api/client.ts';

export type SaveState = 'saved' | 'dirty' | 'saving' | 'retrying' | 'failed';

/**
 * Saves `value` a moment after the last change. A save that fails on the network (or a 5xx)
 * is retried with backoff forever while the page is open; the write carries the same
 * client-generated annotation id every time, so a retry after a lost answer changes nothing.
 * A refusal (4xx) stops and is reported: retrying would not help.
 */
export function useAutosave<T>(save: (value: T) => Promise<void>, options: { delayMs?: number } = {}) {
  const [state, setState] = useState<SaveState>('saved');
  const [error, setError] = useState<unknown>(null);
  const pending = useRef<{ value: T } | null>(null);
  const running = useRef(false);
  const timer = useRef<number | undefined>(undefined);
  const saveRef = useRef(save);
  saveRef.current = save;

  const flush = useCallback(async (): Promise<boolean> => {
    window.clearTimeout(timer.current);
    if (running.current) return false;
    running.current = true;
    let attempt = 0;
    try {
      while (pending.current) {
        const { value } = pending.current;
        pending.current = null;
        setState('saving');
        try {
          await saveRef.current(value);
          attempt = 0;
          setError(null);
        } catch (e) {
          const transient = !(e instanceof LoupeError) || e.status === 0 || e.status >= 500 || e.status === 429;
          setError(e);
          if (!transient) {
            setState('failed');
            return false;
          }
          // Keep the newest value: a change made while offline wins over the one that failed.
          pending.current ??= { value };
          setState('retrying');
          attempt++;
          await new Promise((r) => window.setTimeout(r, Math.min(15_000, 500 * 2 ** attempt)));
        }
      }
      setState('saved');
      return true;
    } finally {
      running.current = false;
    }
  }, []);

  const change = useCallback(
    (value: T) => {
      pending.current = { value };
      setState((s) => (s === 'retrying' ? s : 'dirty'));
      window.clearTimeout(timer.current);
      timer.current = window.setTimeout(() => void flush(), options.delayMs ?? 700);
    },
    [flush, options.delayMs],
  );

  // Leaving the page with unsaved work asks first.
  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (pending.current || running.current) e.preventDefault();
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, []);

  /** Waits for every pending change to be saved (before "next", status changes, navigation). */
  const settle = useCallback(async () => {
    for (let i = 0; i < 200 && (pending.current || running.current); i++) {
      if (!running.current) await flush();
      else await new Promise((r) => window.setTimeout(r, 50));
    }
    return !pending.current;
  }, [flush]);

  return { state, error, change, settle };
}
