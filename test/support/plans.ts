/** Plan tests: what `EXPLAIN (FORMAT JSON)` answers, walked as a flat list of nodes. */
export interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  'Index Cond'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

/** Every node of a plan, the root first. */
export const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

/** The nodes of the plan in an EXPLAIN (FORMAT JSON) answer's `QUERY PLAN` (a string on PGlite, parsed JSON on node-postgres). */
export function planNodes(queryPlan: unknown): PlanNode[] {
  const plan = (typeof queryPlan === 'string' ? JSON.parse(queryPlan) : queryPlan) as Array<{ Plan: PlanNode }>;
  return nodes(plan[0]!.Plan);
}
