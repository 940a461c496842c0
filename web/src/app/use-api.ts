import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';

export interface ApiState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
  /** Replace the data locally (optimistic updates). */
  setData: (update: (previous: T | undefined) => T | undefined) => void;
}

/**
 * Runs `load` when `key` changes and on `reload()`; an answer to an older key is dropped, so a
 * fast typist never sees the results of an earlier search.
 */
export function useApi<T>(load: () => Promise<T>, key: unknown[]): ApiState<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [tick, setTick] = useState(0);
  const generation = useRef(0);
  useEffect(() => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    load().then(
      (data) => mine === generation.current && setState({ data, error: undefined, loading: false }),
      (error: unknown) => mine === generation.current && setState((s) => ({ data: s.data, error, loading: false })),
    );
    // `load` is a fresh closure each render; `key` says when its inputs changed.
    // The effect re-runs on the caller's deps only (no react-hooks lint here: deps are given on purpose)
  }, [...key, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const setData = useCallback((update: (previous: T | undefined) => T | undefined) => setState((s) => ({ ...s, data: update(s.data) })), []);
  return { ...state, reload, setData };
}

/** Re-runs `reload` every `ms` while the page is visible (counters that move while you watch). */
export function usePolling(reload: () => void, ms: number) {
  useEffect(() => {
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, ms);
    return () => window.clearInterval(timer);
  }, [reload, ms]);
}

/**
 * A form's submit: keeps the page from reloading, marks the form busy while `run` works, and
 * keeps what it threw to show (`<InlineError error={error} />`), cleared on the next try.
 */
export function useSubmit(run: () => Promise<void>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await run();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, submit };
}
