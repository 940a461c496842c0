/**
 * The app's types. Resources come from the generated document (`sdk/schema.d.ts`), so a change
 * on the server is a compile error here. Only what the document leaves open is written by hand:
 * the shapes inside an annotation and the payloads of each item kind (JSON objects there).
 */
import type { paths } from '../../../sdk/index.ts';

type Ok<T> = T extends { responses: { 200: { content: { 'application/json': infer R } } } } ? R : T extends { responses: { 201: { content: { 'application/json': infer R } } } } ? R : never;
type Get<P extends keyof paths> = Ok<paths[P]['get']>;

export type Me = Get<'/api/v1/me'>;
export type Project = Get<'/api/v1/projects/{projectId}'>;
export type Summary = Get<'/api/v1/projects/{projectId}/summary'>;
export type Member = Get<'/api/v1/projects/{projectId}/members'>['data'][number];
export type Role = Member['role'];
export type Dataset = Get<'/api/v1/datasets/{datasetId}'>;
export type Recipe = Get<'/api/v1/recipes/{recipeId}'>;
export type Task = Get<'/api/v1/tasks/{taskId}'>;
export type Assignment = Get<'/api/v1/tasks/{taskId}/assignments'>['data'][number];
export type MyAssignment = Get<'/api/v1/me/assignments'>['data'][number];
export type TaskItem = Get<'/api/v1/tasks/{taskId}/items'>['data'][number];
export type Annotation = Get<'/api/v1/tasks/{taskId}/items/{itemId}/annotations'>['data'][number];
export type ReviewAnnotation = Get<'/api/v1/tasks/{taskId}/items/{itemId}/review'>['annotations'][number];
export type Issue = Get<'/api/v1/issues/{issueId}'>;
export type Comment = Get<'/api/v1/comments'>['data'][number];
export type ItemRecord = Get<'/api/v1/items/{itemId}'>;
export type BatchOutcome = Ok<paths['/api/v1/projects/{projectId}/tasks/batch']['post']>['results'][number];
export type Progress = Task['progress'];
export type Tool = Recipe['tools'][number];
export type ItemKind = ItemRecord['kind'];

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}



export interface Turn {
  role: string;
  content: string;
}
export interface CheckResult {
  check: string;
  passed: boolean;
  reason?: string;
}
export interface ItemPayload {
  text?: string;
  url?: string;
  width?: number;
  height?: number;
  turns?: Turn[];
  messages?: Turn[];
  expectedOutput?: string;
  expected_output?: string;
  checks?: CheckResult[];
  traceId?: string;
  spanId?: string;
  spans?: TraceSpan[];
  [key: string]: unknown;
}
export interface TraceSpan {
  spanId: string;
  parentSpanId?: string | null;
  name: string;
  kind?: string;
  startTime?: string;
  endTime?: string;
  durationMs?: number;
  attributes?: Record<string, unknown>;
}







export interface Shape {
  id?: string;
  tool: Tool;
  label?: string;
  labels?: string[];
  x?: number;
  y?: number;
  w?: number;
  h?: number;
  points?: Array<{ x: number; y: number }>;
  start?: number;
  end?: number;
  category?: string;
  value?: number;
  text?: string;
  /** Segment (episodes): the frame range, both ends included. */
  startFrame?: number;
  endFrame?: number;
  attributes?: Record<string, unknown>;
}




/** What the annotation and review workspaces need about one item of one task. */
/** An item as the workspaces show it: its payload typed by kind. */
export type Item = Omit<ItemRecord, 'payload'> & { payload: ItemPayload };

/** One answer on an item (an annotation of this task, or of the source task in a review). */
export interface Answer {
  id: string;
  authorId: string | null;
  status?: string | null;
  shapes: Shape[];
  version: number;
}

/** What the annotation and review workspaces need about one item of one task. */
export interface TaskItemDetail {
  item: Item;
  annotations: Answer[];
  issues: Issue[];
  /** The viewer's own status on the item, when they hold it. */
  status?: string | null;
}

export interface Scores {
  agreement?: { pairwise?: number | null; cohenKappa?: number | null; fleissKappa?: number | null; krippendorffAlpha?: number | null };
  annotators?: Array<{ userId: string; name?: string; itemsDone?: number; meanScore?: number | null; accuracy?: number | null; throughputPerHour?: number | null; medianSecondsPerItem?: number | null }>;
  contributorsMatrix?: { users: string[]; names?: string[]; values: Array<Array<number | null>> };
  confusionMatrix?: { labels: string[]; cells: Array<Array<{ count: number; itemIds?: string[] }>> };
  histogram?: Array<{ from: number; to: number; count: number }>;
  progressOverTime?: Array<{ at: string; done: number }>;
  [key: string]: unknown;
}

