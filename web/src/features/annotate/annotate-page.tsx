import { useCallback, useEffect, useMemo, useState } from 'react';
import { projects as projectsApi, recipes as recipesApi, tasks as tasksApi } from '../../api/resources.ts';
import type { Recipe, Task, TaskItem } from '../../api/types.ts';
import { Layout } from '../../app/layout.tsx';
import { Link, useSearch } from '../../app/router.tsx';
import { useSession } from '../../app/session.tsx';
import { useApi } from '../../app/use-api.ts';
import { ErrorBox, InlineError, Loading } from '../../components/states.tsx';
import { memberNames } from '../tasks/task-columns.tsx';
import { AnnotationEditor } from './annotation-editor.tsx';
import { initialTool, toolsFor, type EditorTool } from './editor-tools.tsx';
import { loadItemDetail } from './item-data.ts';

const itemIdOf = (x: TaskItem) => x.itemId;

/** The items opened in this task, in order, for "previous item" (kept for the browser tab). */
function useTrail(taskId: string, itemId: string | null) {
  const key = `loupe.trail.${taskId}`;
  const [trail, setTrail] = useState<string[]>(() => JSON.parse(sessionStorage.getItem(key) ?? '[]') as string[]);
  useEffect(() => {
    if (!itemId) return;
    setTrail((t) => {
      if (t.includes(itemId)) return t;
      const next = [...t, itemId].slice(-500);
      sessionStorage.setItem(key, JSON.stringify(next));
      return next;
    });
  }, [key, itemId]);
  const at = itemId ? trail.indexOf(itemId) : trail.length;
  return at > 0 ? trail[at - 1]! : null;
}

/** The tool last chosen in this task, kept from item to item (and across visits). */
function useRememberedTool(taskId: string) {
  const key = `loupe.tool.${taskId}`;
  const [tool, setTool] = useState<string | null>(() => localStorage.getItem(key));
  const remember = useCallback(
    (t: EditorTool) => {
      localStorage.setItem(key, t);
      setTool(t);
    },
    [key],
  );
  return [tool, remember] as const;
}

/** The annotation workspace: one item at a time; "next" takes held work first, then pulls. */
export function AnnotatePage({ taskId }: { taskId: string }) {
  const task = useApi(() => tasksApi.get(taskId), [taskId]);
  const recipe = useApi<Recipe | undefined>(async () => (task.data?.recipeId ? recipesApi.get(task.data.recipeId) : undefined), [task.data?.recipeId]);
  if (!task.data) return <Layout>{task.error !== undefined ? <ErrorBox error={task.error} onRetry={task.reload} /> : <Loading />}</Layout>;
  if (task.data.recipeId && recipe.loading && !recipe.data) return <Layout projectId={task.data.projectId}><Loading label="Loading the recipe…" /></Layout>;
  return <Workspace task={task.data} recipe={recipe.data} recipeError={recipe.error} />;
}

function Workspace({ task, recipe, recipeError }: { task: Task; recipe: Recipe | undefined; recipeError: unknown }) {
  const { me } = useSession();
  const { search, set } = useSearch();
  const itemId = search.get('item');
  const members = useApi(() => projectsApi.members(task.projectId), [task.projectId]);
  const names = useMemo(() => memberNames(members.data), [members.data]);
  const detail = useApi(async () => (itemId ? loadItemDetail(task.id, itemId, false, me.id) : undefined), [task.id, itemId, me.id]);
  const [nextError, setNextError] = useState<unknown>(null);
  const [pulling, setPulling] = useState(false);
  const [queueEmpty, setQueueEmpty] = useState(false);
  const previousItemId = useTrail(task.id, itemId);
  const [rememberedTool, rememberTool] = useRememberedTool(task.id);

  const next = useCallback(async () => {
    setPulling(true);
    setNextError(null);
    setQueueEmpty(false);
    try {
      const held = await tasksApi.items(task.id, { status: 'pending', assigneeId: me.id });
      let candidate = held.data.map(itemIdOf).find((id) => id && id !== itemId);
      if (!candidate && task.allocation?.method !== 'distribution') {
        const pulled = await tasksApi.pull(task.id);
        candidate = pulled.items.map(itemIdOf).find((id) => id && id !== itemId);
      }
      if (candidate) set({ item: candidate }, { replace: false });
      else setQueueEmpty(true);
    } catch (e) {
      setNextError(e);
    } finally {
      setPulling(false);
    }
  }, [task.id, task.allocation?.method, me.id, itemId, set]);

  return (
    <Layout projectId={task.projectId}>
      <div className="ws-head">
        <Link to={`/tasks/${task.id}`} className="btn btn-ghost">
          ← {task.name}
        </Link>
        {recipe?.instructionsUrl && (
          <a className="btn btn-ghost" href={recipe.instructionsUrl} target="_blank" rel="noreferrer noopener">
            Instructions
          </a>
        )}
        {task.locked && <span className="sign sign-locked">locked: read only</span>}
      </div>
      {task.reviewNote && <p className="notice notice-warn">Review failed: “{task.reviewNote.body}”</p>}
      <InlineError error={recipeError ?? null} />
      <InlineError error={nextError} />
      {!itemId && (
        <div className="card stack ws-start">
          <h2>{task.name}</h2>
          <p className="muted">
            {task.progress.done} of {task.progress.total} items done. Press <kbd>N</kbd> or the button to get your next item.
          </p>
          {queueEmpty && <p className="notice">Nothing left for you in this task right now.</p>}
          <button type="button" className="btn btn-primary" disabled={pulling} onClick={() => void next()} data-testid="next">
            {pulling ? 'Getting work…' : 'Start: next item'}
          </button>
        </div>
      )}
      {itemId && detail.data?.item.id !== itemId && (detail.error !== undefined ? <ErrorBox error={detail.error} onRetry={detail.reload} /> : <Loading label="Loading the item…" />)}
      {/* Only this item's detail: while the next one loads, the last one's is still in hand and
          must not seed the new editor (its shapes and annotation id belong to the other item). */}
      {itemId && detail.data && detail.data.item.id === itemId && (
        <AnnotationEditor
          key={itemId}
          task={task}
          recipe={recipe}
          detail={detail.data}
          names={names}
          tool={initialTool(detail.data.item.kind, toolsFor(detail.data.item.kind, recipe), rememberedTool)}
          onTool={rememberTool}
          onNext={next}
          previousItemId={previousItemId}
          onPrevious={previousItemId ? () => set({ item: previousItemId }, { replace: false }) : null}
          pulling={pulling}
          queueEmpty={queueEmpty}
          reload={detail.reload}
        />
      )}
    </Layout>
  );
}
