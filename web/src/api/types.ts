/**
 * Types of the resources whose routes are specified (SPEC 9.1) but were not yet in the generated
 * document when the page was written. Fields the SPEC does not pin down are optional, and the
 * pages render without them. Resources already in `sdk/schema.d.ts` are typed from there.
 */
import type { paths } from '../../../sdk/index.ts';

type Json<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: { 200: { content: { 'application/json': infer R } } } | { 201: { content: { 'application/json': infer R } } };
}
  ? R
  : never;

export type Me = Json<'/api/v1/me', 'get'>;
export type Project = Json<'/api/v1/projects/{projectId}', 'get'>;
export type Summary = Json<'/api/v1/projects/{projectId}/summary', 'get'>;
export type Member = Json<'/api/v1/projects/{projectId}/members', 'get'>['data'][number];
export type Role = Member['role'];

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export type ItemKind = 'text' | 'image' | 'conversation' | 'test_case' | 'trace' | 'record';
export type TaskType = 'labeling' | 'review' | 'consensus' | 'qualification' | 'honeypot' | 'ticket' | 'evaluation';
export type TaskStatus = 'open' | 'in_progress' | 'completed' | 'completed_with_issues';
export type Priority = 'high' | 'medium' | 'low';
export type Tool = 'classification' | 'multi_classification' | 'bbox' | 'polygon' | 'text_span' | 'rating' | 'free_text';

export interface Dataset {
  id: string;
  projectId: string;
  name: string;
  itemCount?: number;
  createdAt: string;
  updatedAt?: string;
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

export interface Item {
  id: string;
  datasetId: string;
  externalId?: string | null;
  kind: ItemKind;
  payload?: ItemPayload;
  metadata?: Record<string, unknown>;
  draft: boolean;
  createdAt: string;
}

export interface RecipeLabel {
  name: string;
  color?: string;
  attributes?: Array<{ name: string; type: 'select' | 'multi_select' | 'text' | 'number' | 'boolean'; options?: string[]; required?: boolean }>;
}
export interface Recipe {
  id: string;
  projectId: string;
  name: string;
  labels: RecipeLabel[];
  tools: Tool[];
  statuses?: Array<{ name: string; countsAsDone?: boolean }>;
  ratingCategories?: Array<{ name: string; min: number; max: number; weight: number }>;
  instructionsUrl?: string | null;
  createdAt: string;
}

export interface Progress {
  total: number;
  done: number;
  percent: number;
  etaSeconds: number | null;
}

export interface Task {
  id: string;
  projectId: string;
  name: string;
  type: TaskType;
  status: TaskStatus;
  workflowState: string;
  locked: boolean;
  archived: boolean;
  priority: Priority | null;
  dueDate?: string | null;
  lockAfterDueDate?: boolean;
  description?: string | null;
  datasetId?: string | null;
  datasetName?: string | null;
  recipeId?: string | null;
  recipeName?: string | null;
  ownerId?: string | null;
  ownerName?: string | null;
  sourceTaskId?: string | null;
  allocation?: { method: 'distribution' | 'pulling'; batchSize?: number; maxWorkload?: number; leaseSeconds?: number };
  assigneeIds?: string[];
  reviewerIds?: string[];
  progress: Progress;
  counts?: { items?: number; done?: number; withStatus?: number; pending?: number; assignments?: number; openIssues?: number; forReview?: number };
  reviewNote?: { body: string; authorId: string; at: string } | null;
  consensus?: { annotatorsPerItem: number } | null;
  createdAt: string;
  updatedAt: string;
}

export interface Assignment {
  id: string;
  taskId: string;
  taskName?: string;
  projectId?: string;
  assigneeId: string;
  assigneeName?: string | null;
  assigneeKind?: 'user' | 'group' | 'evaluator';
  role?: 'annotator' | 'reviewer';
  status: TaskStatus | 'open' | 'in_progress' | 'completed';
  progress?: Progress;
  counts?: { items?: number; done?: number; openIssues?: number; forReview?: number };
  createdAt?: string;
}

export interface TaskItem {
  taskId: string;
  itemId: string;
  status: string | null;
  assigneeId?: string | null;
  assigneeIds?: string[];
  /** The person holding or having done the item (pulling, or a group's member). */
  workerId?: string | null;
  done?: boolean;
  kind?: ItemKind;
  externalId?: string | null;
  openIssues?: number;
  startedAt?: string | null;
  finishedAt?: string | null;
  item?: Item;
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
  attributes?: Record<string, unknown>;
}

export interface Annotation {
  id: string;
  taskId: string;
  itemId: string;
  authorId: string;
  authorName?: string | null;
  workerId?: string | null;
  status?: string | null;
  shapes: Shape[];
  version?: number;
  createdAt?: string;
  updatedAt?: string;
}

export interface Issue {
  id: string;
  annotationId: string;
  taskId?: string;
  itemId?: string;
  status: 'open' | 'for_review' | 'resolved';
  comment?: string;
  openedBy?: string;
  authorId?: string;
  createdAt: string;
  updatedAt?: string;
}

export interface Comment {
  id: string;
  subjectKind: 'task' | 'item' | 'annotation' | 'issue';
  subjectId: string;
  authorId: string | null;
  authorName?: string | null;
  author?: { id: string; name: string; email: string } | null;
  kind?: 'comment' | 'review_failure' | 'issue_status';
  body: string;
  createdAt: string;
}

/** What the annotation and review workspaces need about one item of one task. */
export interface TaskItemDetail {
  taskItem?: TaskItem;
  item: Item;
  status?: string | null;
  annotations: Annotation[];
  issues?: Issue[];
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

export interface BatchOutcome {
  id: string;
  ok?: boolean;
  outcome?: string;
  status?: number;
  code?: string;
  detail?: string;
  archived?: boolean;
}
