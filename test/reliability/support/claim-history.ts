/**
 * A record of every claim and release in a pull-queue run, and the checker that proves the
 * queue's guarantees from it.
 *
 * A claim is live from the instant the server read its clock (`leaseExpiresAt - leaseSeconds`)
 * until its lease expires, or until its holder finished the unit (set a status), whichever is
 * first. Times are the server's (manual) clock, so they are exact, not wall-clock guesses.
 */
export interface Claim {
  task: string;
  item: string;
  copy: number;
  worker: string;
  start: number;
  end: number;
  via: 'service' | 'http';
}

export interface Release {
  task: string;
  item: string;
  copy: number;
  worker: string;
  /** A clock reading taken after the status write committed: an upper bound of its instant. */
  at: number;
}

export class ClaimHistory {
  readonly claims: Claim[] = [];
  readonly releases: Release[] = [];

  claim(c: Claim) {
    this.claims.push(c);
  }
  release(r: Release) {
    this.releases.push(r);
  }

  /** Every violation found; empty means the history is clean. */
  check(consensusOf: Map<string, number>): string[] {
    const problems: string[] = [];
    const finishedAt = new Map<string, Release>();
    for (const r of this.releases) finishedAt.set(`${r.task}:${r.item}:${r.copy}`, r);
    const live = (c: Claim) => {
      const r = finishedAt.get(`${c.task}:${c.item}:${c.copy}`);
      return { ...c, end: r && r.worker === c.worker && r.at < c.end && r.at >= c.start ? r.at : c.end };
    };
    // 1. One unit (an item, or one consensus copy) is never under two live leases.
    const byUnit = group(this.claims.map(live), (c) => `${c.task}:${c.item}:${c.copy}`);
    for (const [unit, claims] of byUnit) {
      claims.sort((a, b) => a.start - b.start);
      for (let i = 1; i < claims.length; i++) {
        if (claims[i]!.start < claims[i - 1]!.end) {
          problems.push(`unit ${unit} held by ${claims[i - 1]!.worker} until ${claims[i - 1]!.end} and claimed by ${claims[i]!.worker} at ${claims[i]!.start}`);
        }
      }
    }
    // 2. Consensus: at no instant do more than N distinct people hold or have finished one item's
    //    copies, one person never holds two copies of an item at once, and never finishes two.
    for (const [task, n] of consensusOf) {
      const claims = this.claims.filter((c) => c.task === task).map(live);
      for (const [item, list] of group(claims, (c) => c.item)) {
        const finishers = this.releases.filter((r) => r.task === task && r.item === item);
        const finisherIds = finishers.map((f) => f.worker);
        if (new Set(finisherIds).size !== finisherIds.length) problems.push(`consensus item ${item} finished twice by one person`);
        if (finishers.length > n) problems.push(`consensus item ${item} finished ${finishers.length} times (N = ${n})`);
        for (const c of list) {
          const people = new Set(list.filter((o) => o.start <= c.start && c.start < o.end).map((o) => o.worker));
          for (const f of finishers) if (f.at <= c.start) people.add(f.worker);
          if (people.size > n) problems.push(`consensus item ${item} had ${people.size} people at ${c.start} (N = ${n})`);
          const twice = list.filter((o) => o !== c && o.worker === c.worker && o.copy !== c.copy && o.start < c.end && c.start < o.end);
          if (twice.length) problems.push(`consensus item ${item}: ${c.worker} held copies ${c.copy} and ${twice[0]!.copy} at once`);
        }
      }
    }
    return problems.slice(0, 50);
  }
}

function group<T>(list: T[], key: (t: T) => string) {
  const out = new Map<string, T[]>();
  for (const t of list) {
    const k = key(t);
    const arr = out.get(k);
    if (arr) arr.push(t);
    else out.set(k, [t]);
  }
  return out;
}
