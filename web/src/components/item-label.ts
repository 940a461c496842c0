/**
 * Items are named for people: their external id, else the first words of their content, else a
 * short id. `useItemLabels` fetches the items a list shows (once each, a few at a time) because
 * task-item lists carry only ids.
 */
import { useEffect, useState } from 'react';
import { taskItems } from '../api/resources.ts';
import { shortId } from './format.ts';

interface Labelled {
  id: string;
  externalId?: string | null;
  payload?: Record<string, unknown> | null;
}

const words = (text: string, n = 6) => {
  const parts = text.trim().split(/\s+/).filter(Boolean);
  return parts.slice(0, n).join(' ') + (parts.length > n ? '…' : '');
};

function firstText(payload: Record<string, unknown> | null | undefined): string | null {
  if (!payload) return null;
  for (const key of ['text', 'title', 'question', 'prompt', 'content']) {
    const v = payload[key];
    if (typeof v === 'string' && v.trim()) return words(v);
  }
  const turns = payload.turns ?? payload.messages;
  if (Array.isArray(turns)) {
    const first = turns.find((t): t is { content: string } => typeof (t as { content?: unknown })?.content === 'string');
    if (first) return words(first.content);
  }
  for (const key of ['url', 'src', 'uri']) {
    const v = payload[key];
    if (typeof v === 'string' && v) return decodeURIComponent(v.split(/[?#]/)[0]!.split('/').pop() ?? v);
  }
  return null;
}

/** The one name for an item anywhere in the app. */
export function itemLabel(item: Labelled | undefined, fallbackId?: string): string {
  if (!item) return fallbackId ? `Item ${shortId(fallbackId)}` : 'Item';
  if (item.externalId) return item.externalId;
  return firstText(item.payload) ?? `Item ${shortId(item.id)}`;
}

const cache = new Map<string, Promise<Labelled | undefined>>();
function load(id: string): Promise<Labelled | undefined> {
  let p = cache.get(id);
  if (!p) {
    p = taskItems.item(id).then(
      (i) => ({ id: i.id, externalId: i.externalId, payload: i.payload }),
      () => undefined,
    );
    cache.set(id, p);
  }
  return p;
}

/** Labels for the given item ids; ids not loaded yet show a short id until they are. */
export function useItemLabels(ids: string[]): (id: string) => string {
  const [labels, setLabels] = useState<Map<string, string>>(new Map());
  const key = ids.join(',');
  useEffect(() => {
    let live = true;
    const queue = [...new Set(ids)];
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        const item = await load(id);
        const label = itemLabel(item, id);
        if (live) setLabels((m) => (m.get(id) === label ? m : new Map(m).set(id, label)));
      }
    };
    void Promise.all(Array.from({ length: 4 }, worker));
    return () => {
      live = false;
    };
    // `key` stands for `ids` (a fresh array each render).
  }, [key]);
  return (id: string) => labels.get(id) ?? `Item ${shortId(id)}`;
}
