import { uuidv7 } from 'uuidv7';

/**
 * Ids are opaque strings to callers. Internally they are UUIDv7: time-ordered, so keyset
 * pagination by id walks creation order and B-tree inserts stay at the right-hand edge.
 */
export const newId = (): string => uuidv7();

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `value` can be an id; anything else can never name an object (answer 404, not 500). */
export const isId = (value: string): boolean => uuidPattern.test(value);
