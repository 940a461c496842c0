import { useEffect, useRef } from 'react';

export interface EditorKeys {
  label: (index: number) => void;
  status: (index: number) => void;
  next: () => void;
  previous: () => void;
  remove: () => void;
  undo: () => void;
  redo: () => void;
  deselect: () => void;
}

/**
 * The workspace's keys: 1–9 labels, Shift+1–9 statuses, N next, P previous, Delete removes the
 * selected shape, Ctrl+Z / Ctrl+Shift+Z (or Ctrl+Y) undo and redo, Esc deselects. Keys typed
 * into a field stay the field's (its own undo included).
 */
export function useEditorKeys(keys: EditorKeys) {
  const ref = useRef(keys);
  ref.current = keys;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (target.closest('input, textarea, select, [contenteditable="true"]') || e.altKey) return;
      const k = ref.current;
      const mod = e.ctrlKey || e.metaKey;
      if (mod && (e.key === 'z' || e.key === 'Z')) {
        e.preventDefault();
        if (e.shiftKey) k.redo();
        else k.undo();
        return;
      }
      if (mod && (e.key === 'y' || e.key === 'Y')) {
        e.preventDefault();
        k.redo();
        return;
      }
      if (mod) return;
      const digit = /^Digit([1-9])$/.exec(e.code)?.[1];
      if (digit) {
        e.preventDefault();
        if (e.shiftKey) k.status(Number(digit) - 1);
        else k.label(Number(digit) - 1);
      } else if (e.key === 'n' || e.key === 'N') {
        e.preventDefault();
        k.next();
      } else if (e.key === 'p' || e.key === 'P') {
        e.preventDefault();
        k.previous();
      } else if (e.key === 'Delete' || e.key === 'Backspace') {
        e.preventDefault();
        k.remove();
      } else if (e.key === 'Escape') {
        k.deselect();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
