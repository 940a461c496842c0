import { useCallback, useRef, useState } from 'react';
import { clientId } from '../../api/client.ts';
import type { Shape } from '../../api/types.ts';

/** Every shape carries an id, so a selection survives reordering (the editor selects by id). */
export const withIds = (shapes: Shape[]): Shape[] => shapes.map((s) => (s.id ? s : { ...s, id: clientId() }));

interface History {
  past: Shape[][];
  present: Shape[];
  future: Shape[][];
}

const LIMIT = 200;
/** Changes with the same key within this window are one undo step (a drag, typing in a field). */
const COALESCE_MS = 1000;

/**
 * The item's shapes with undo and redo over every edit made on this page. `onChange` hears every
 * new present (the autosave), including the ones undo and redo make.
 */
export function useShapeHistory(initial: Shape[], onChange: (shapes: Shape[]) => void) {
  const [history, setHistory] = useState<History>(() => ({ past: [], present: withIds(initial), future: [] }));
  const current = useRef(history);
  const last = useRef<{ key: string | undefined; at: number }>({ key: undefined, at: 0 });
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;

  const commit = (next: History) => {
    current.current = next;
    setHistory(next);
    onChangeRef.current(next.present);
  };

  const update = useCallback((shapes: Shape[], coalesce?: string) => {
    const h = current.current;
    const now = Date.now();
    const merge = coalesce !== undefined && last.current.key === coalesce && now - last.current.at < COALESCE_MS && h.past.length > 0;
    last.current = { key: coalesce, at: now };
    commit({ past: merge ? h.past : [...h.past, h.present].slice(-LIMIT), present: withIds(shapes), future: [] });
  }, []);

  const undo = useCallback(() => {
    const h = current.current;
    const previous = h.past[h.past.length - 1];
    if (!previous) return false;
    last.current = { key: undefined, at: 0 };
    commit({ past: h.past.slice(0, -1), present: previous, future: [h.present, ...h.future] });
    return true;
  }, []);

  const redo = useCallback(() => {
    const h = current.current;
    const next = h.future[0];
    if (!next) return false;
    last.current = { key: undefined, at: 0 };
    commit({ past: [...h.past, h.present], present: next, future: h.future.slice(1) });
    return true;
  }, []);

  return { shapes: history.present, update, undo, redo, canUndo: history.past.length > 0, canRedo: history.future.length > 0 };
}
