import type { Recipe, Shape } from '../../api/types.ts';
import { humanize } from '../../components/format.ts';

const describe = (s: Shape) =>
  s.tool === 'bbox'
    ? `${Math.round(s.w ?? 0)}×${Math.round(s.h ?? 0)} at ${Math.round(s.x ?? 0)},${Math.round(s.y ?? 0)}`
    : s.tool === 'polygon'
      ? `${s.points?.length ?? 0} points`
      : s.tool === 'text_span'
        ? `chars ${s.start}–${s.end}`
        : s.tool === 'segment'
          ? `frames ${s.startFrame}–${s.endFrame}`
        : s.tool === 'multi_classification'
          ? (s.labels ?? []).join(', ') || 'none'
          : '';

/** The shapes of the annotation: relabel, fill attributes, delete; free text and ratings. */
export function ShapesPanel({ recipe, shapes, selected, onSelect, onChange, readOnly }: { recipe: Recipe | undefined; shapes: Shape[]; selected: number | null; onSelect: (i: number | null) => void; onChange: (s: Shape[]) => void; readOnly: boolean }) {
  const labels = recipe?.labels ?? [];
  const tools = recipe?.tools ?? [];
  const set = (i: number, s: Shape) => onChange(shapes.map((x, k) => (k === i ? s : x)));
  const freeText = shapes.find((s) => s.tool === 'free_text');
  const setFreeText = (text: string) =>
    onChange(text ? [...shapes.filter((s) => s.tool !== 'free_text'), { ...(freeText ?? {}), tool: 'free_text', text }] : shapes.filter((s) => s.tool !== 'free_text'));
  const rating = (category: string) => shapes.find((s) => s.tool === 'rating' && s.category === category);
  const setRating = (category: string, value: number | null) =>
    onChange([...shapes.filter((s) => !(s.tool === 'rating' && s.category === category)), ...(value === null ? [] : [{ tool: 'rating' as const, category, value }])]);
  const listed = shapes.map((s, i) => ({ s, i })).filter(({ s }) => s.tool !== 'free_text' && s.tool !== 'rating');

  return (
    <div className="stack">
      <h3>Annotation ({listed.length})</h3>
      {listed.length === 0 && <p className="muted small">Nothing yet: pick a label, then draw, select text or press its number.</p>}
      <ul className="shape-list">
        {listed.map(({ s, i }) => {
          const def = labels.find((l) => l.name === s.label);
          return (
            <li key={s.id ?? i} className={`shape-item${selected === i ? ' shape-item-selected' : ''}`}>
              <button type="button" className="shape-pick" onClick={() => onSelect(selected === i ? null : i)}>
                <span className="shape-tool">{humanize(s.tool)}</span>
                <span className="truncate">{s.label ?? ''}</span>
                <span className="muted small truncate">{describe(s)}</span>
              </button>
              {!readOnly && (
                <button type="button" className="btn btn-ghost btn-small" aria-label="Remove shape" onClick={() => (onChange(shapes.filter((_, k) => k !== i)), onSelect(null))}>
                  ×
                </button>
              )}
              {selected === i && def?.attributes && def.attributes.length > 0 && (
                <div className="attributes">
                  {def.attributes.map((a) => {
                    const value = s.attributes?.[a.name];
                    const put = (v: unknown) => set(i, { ...s, attributes: { ...s.attributes, [a.name]: v } });
                    return (
                      <label key={a.name} className="field">
                        <span className="field-label">
                          {a.name}
                          {a.required ? ' *' : ''}
                        </span>
                        {a.type === 'select' ? (
                          <select value={String(value ?? '')} disabled={readOnly} onChange={(e) => put(e.target.value || undefined)}>
                            <option value="">—</option>
                            {a.options?.map((o) => (
                              <option key={o}>{o}</option>
                            ))}
                          </select>
                        ) : a.type === 'boolean' ? (
                          <input type="checkbox" checked={value === true} disabled={readOnly} onChange={(e) => put(e.target.checked)} />
                        ) : a.type === 'number' ? (
                          <input type="number" value={typeof value === 'number' ? value : ''} disabled={readOnly} onChange={(e) => put(e.target.value === '' ? undefined : Number(e.target.value))} />
                        ) : (
                          <input value={String(value ?? '')} disabled={readOnly} onChange={(e) => put(e.target.value || undefined)} />
                        )}
                      </label>
                    );
                  })}
                </div>
              )}
            </li>
          );
        })}
      </ul>
      {tools.includes('free_text') && (
        <label className="field">
          <span className="field-label">Free text</span>
          <textarea rows={3} value={freeText?.text ?? ''} disabled={readOnly} onChange={(e) => setFreeText(e.target.value)} />
        </label>
      )}
      {tools.includes('rating') &&
        (recipe?.ratingCategories ?? []).map((c) => (
          <label key={c.name} className="field">
            <span className="field-label">
              {c.name} ({c.min}–{c.max}, weight {c.weight})
            </span>
            <input
              type="number"
              min={c.min}
              max={c.max}
              value={rating(c.name)?.value ?? ''}
              disabled={readOnly}
              onChange={(e) => setRating(c.name, e.target.value === '' ? null : Number(e.target.value))}
            />
          </label>
        ))}
    </div>
  );
}
