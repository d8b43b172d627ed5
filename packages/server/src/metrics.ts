/**
 * Prometheus metrics (text exposition format 0.0.4), kept in memory: requests by operation and
 * outcome, items by operation and outcome (a `*Multiple` call has several), and a latency
 * histogram by operation, refusals by rate limits and quotas (429) by operation, and failed
 * refreshes of owners' key sets by domain; snapshots of the counters feed traffic.ts. Labels are fixed
 * names or configured domain keys, never request data.
 */

/** Upper bounds (seconds) of the latency histogram's buckets. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type RequestOutcome = 'success' | 'client_error' | 'server_error';
export type ItemOutcome = 'success' | 'problem';

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function labels(pairs: Record<string, string>): string {
  return `{${Object.entries(pairs)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(',')}}`;
}

/** The counters at one moment (for the traffic time series of the admin API). */
export interface MetricsSnapshot {
  /** `operation\u0000outcome` → requests. */
  readonly requests: ReadonlyMap<string, number>;
  /** `operation\u0000outcome` → items. */
  readonly items: ReadonlyMap<string, number>;
  /** operation → cumulative counts per bucket of {@link LATENCY_BUCKETS}, and the total. */
  readonly latency: ReadonlyMap<string, { readonly counts: readonly number[]; readonly count: number }>;
  readonly alarms: ReadonlyMap<string, number>;
  /** operation → requests refused by a rate limit or a daily quota (429). */
  readonly refusals: ReadonlyMap<string, number>;
}

export class Metrics {
  readonly #refusals = new Map<string, number>();
  readonly #requests = new Map<string, number>();
  readonly #items = new Map<string, number>();
  readonly #latency = new Map<string, Histogram>();
  readonly #alarms = new Map<string, number>();
  readonly #ownerJwksFailures = new Map<string, number>();

  observeRequest(operation: string, outcome: RequestOutcome, seconds: number): void {
    const key = `${operation}\u0000${outcome}`;
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
    let h = this.#latency.get(operation);
    if (h === undefined) {
      h = { counts: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.#latency.set(operation, h);
    }
    LATENCY_BUCKETS.forEach((le, i) => {
      if (seconds <= le) h.counts[i]! += 1;
    });
    h.sum += seconds;
    h.count += 1;
  }

  countItem(operation: string, outcome: ItemOutcome): void {
    const key = `${operation}\u0000${outcome}`;
    this.#items.set(key, (this.#items.get(key) ?? 0) + 1);
  }

  /** A principal passed the enumeration threshold (the principal is in the log line, not here). */
  countEnumerationAlarm(operation: string): void {
    this.#alarms.set(operation, (this.#alarms.get(operation) ?? 0) + 1);
  }

  /** A request refused by the rate limit or a daily quota (429 tooManyRequests). */
  countRefusal(operation: string): void {
    this.#refusals.set(operation, (this.#refusals.get(operation) ?? 0) + 1);
  }

  snapshot(): MetricsSnapshot {
    return {
      requests: new Map(this.#requests),
      items: new Map(this.#items),
      latency: new Map([...this.#latency].map(([op, h]) => [op, { counts: [...h.counts], count: h.count }])),
      alarms: new Map(this.#alarms),
      refusals: new Map(this.#refusals),
    };
  }

  /** Reading an owner's key set of this domain again failed (the last good keys stay in use). */
  countOwnerJwksRefreshFailure(domain: string): void {
    this.#ownerJwksFailures.set(domain, (this.#ownerJwksFailures.get(domain) ?? 0) + 1);
  }

  /** The exposition text. */
  render(): string {
    const lines: string[] = [];
    const counter = (name: string, help: string, values: Map<string, number>): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const [key, value] of [...values].sort(([a], [b]) => a.localeCompare(b))) {
        const [operation = '', outcome = ''] = key.split('\u0000');
        lines.push(`${name}${labels({ operation, outcome })} ${value}`);
      }
    };
    counter('blindpseudo_requests_total', 'HTTP requests by operation and outcome.', this.#requests);
    counter('blindpseudo_items_total', 'Items (points) processed by operation and outcome.', this.#items);
    lines.push(
      '# HELP blindpseudo_enumeration_alarms_total Principals passing the daily enumeration threshold, by operation.',
      '# TYPE blindpseudo_enumeration_alarms_total counter',
    );
    for (const [operation, value] of [...this.#alarms].sort(([a], [b]) => a.localeCompare(b)))
      lines.push(`blindpseudo_enumeration_alarms_total${labels({ operation })} ${value}`);
    lines.push(
      '# HELP blindpseudo_refusals_total Requests refused by a rate limit or a daily quota, by operation.',
      '# TYPE blindpseudo_refusals_total counter',
    );
    for (const [operation, value] of [...this.#refusals].sort(([a], [b]) => a.localeCompare(b)))
      lines.push(`blindpseudo_refusals_total${labels({ operation })} ${value}`);
    lines.push(
      "# HELP blindpseudo_owner_jwks_refresh_failures_total Failed refreshes of an owner's JWKS, by domain.",
      '# TYPE blindpseudo_owner_jwks_refresh_failures_total counter',
    );
    for (const [domain, value] of [...this.#ownerJwksFailures].sort(([a], [b]) => a.localeCompare(b)))
      lines.push(`blindpseudo_owner_jwks_refresh_failures_total${labels({ domain })} ${value}`);
    const name = 'blindpseudo_request_duration_seconds';
    lines.push(`# HELP ${name} Request latency by operation.`, `# TYPE ${name} histogram`);
    for (const [operation, h] of [...this.#latency].sort(([a], [b]) => a.localeCompare(b))) {
      LATENCY_BUCKETS.forEach((le, i) =>
        lines.push(`${name}_bucket${labels({ operation, le: String(le) })} ${h.counts[i]}`),
      );
      lines.push(`${name}_bucket${labels({ operation, le: '+Inf' })} ${h.count}`);
      lines.push(`${name}_sum${labels({ operation })} ${h.sum}`);
      lines.push(`${name}_count${labels({ operation })} ${h.count}`);
    }
    return `${lines.join('\n')}\n`;
  }
}
