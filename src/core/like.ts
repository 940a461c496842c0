/**
 * A LIKE / ILIKE pattern matching values that contain `term`, its own `%`, `_` and `\` taken as
 * characters (PostgreSQL's default escape is `\`).
 */
export const containsPattern = (term: string) => `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
