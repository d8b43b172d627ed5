/**
 * Steady load on a running service for the storage-fault tests: pseudonymize calls with unique
 * request ids, every answer kept (status, problem type, Retry-After), so that a test can check
 * that nothing was answered 500, that every 503 is a problem with Retry-After, and that the
 * requests answered 2xx are exactly the ones with an audit record.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { blind, encodeValue, pointToJson } from '@blindpseudo/core';
import { readAuditLog, verifyAuditLog } from '@blindpseudo/server';
import type { Storage } from '@blindpseudo/server';

export interface Answer {
  readonly id: string;
  /** HTTP status; 0 when no answer came (connection refused or reset). */
  readonly status: number;
  readonly problemType: string | undefined;
  readonly retryAfter: string | null;
  /** Why no answer came (status 0). */
  readonly error?: string;
}

export interface Load {
  readonly answers: readonly Answer[];
  /** Resolves once `predicate` holds for an answer given after this call. */
  until(predicate: (a: Answer) => boolean, what: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<readonly Answer[]>;
}

async function answer(url: string, id: string, point: object, token: string | undefined): Promise<Answer> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify({ id, crv: 'P-521', ...point }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await res.json()) as { type?: string };
    return {
      id,
      status: res.status,
      problemType: res.ok ? undefined : body.type,
      retryAfter: res.headers.get('retry-after'),
    };
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const error = `${(err as Error).message}${cause ? `: ${cause.code ?? ''} ${cause.message ?? ''}` : ''}`;
    return { id, status: 0, problemType: undefined, retryAfter: null, error };
  }
}

/**
 * `concurrency` clients calling `${baseUrl}/domains/${domain}/pseudonymize` in a loop, with a
 * bearer `token` when the service wants one.
 */
export async function startLoad(baseUrl: string, domain: string, concurrency = 4, token?: string): Promise<Load> {
  const point = pointToJson((await blind(encodeValue('85073003328'))).point);
  const url = `${baseUrl}/domains/${domain}/pseudonymize`;
  const answers: Answer[] = [];
  let running = true;
  const client = async (): Promise<void> => {
    while (running) {
      const a = await answer(url, randomUUID(), point, token);
      answers.push(a);
      // Without an answer (the service is down) or on 503, do not spin.
      if (a.status === 0 || a.status === 503) await sleep(20);
    }
  };
  const clients = Array.from({ length: concurrency }, client);
  return {
    answers,
    until: async (predicate, what, timeoutMs = 20_000) => {
      const from = answers.length;
      const deadline = Date.now() + timeoutMs;
      while (!answers.slice(from).some(predicate)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await sleep(25);
      }
    },
    stop: async () => {
      running = false;
      await Promise.all(clients);
      return answers;
    },
  };
}

/** Polls `url` until it answers `status` (readiness probes). */
export async function waitForStatus(url: string, status: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      last = res.status;
      if (last === status) return;
    } catch {
      last = 0;
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer ${status} (last ${last})`);
}

/** Never a 500; every 503 a serviceUnavailable problem with Retry-After. Returns the counts by status. */
export function assertFailedClosed(answers: readonly Answer[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const a of answers) {
    counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
    assert.ok(a.status !== 500, 'a request was answered 500');
    if (a.status === 503) {
      assert.equal(a.problemType, 'urn:problem-type:belgif:serviceUnavailable');
      assert.ok(a.retryAfter !== null && Number(a.retryAfter) > 0, '503 without Retry-After');
    }
  }
  return counts;
}

/**
 * The audit log verifies, and among the records of these requests (their ids), those of 2xx
 * answers are the requests answered 2xx: exactly (`exact`), or at least them when answers may have
 * been lost (a killed service committed records it could not send). Records of other requests
 * (other tests on the same storage) are not counted.
 */
export async function assertAnsweredAreAudited(
  storage: Storage,
  answers: readonly Answer[],
  exact: boolean,
): Promise<{ answered2xx: number; audited2xx: number }> {
  const verification = await verifyAuditLog(storage);
  assert.equal(verification.ok, true, verification.findings.join('\n'));
  const sent = new Set(answers.map((a) => a.id));
  const audited = new Set<string>();
  for await (const r of readAuditLog(storage)) {
    if (r.status >= 200 && r.status < 300 && r.callerRequestId !== null && sent.has(r.callerRequestId))
      audited.add(r.callerRequestId);
  }
  const answered = answers.filter((a) => a.status >= 200 && a.status < 300).map((a) => a.id);
  const missing = answered.filter((id) => !audited.has(id));
  assert.deepEqual(missing, [], `${missing.length} requests answered 2xx have no audit record`);
  if (exact) assert.equal(audited.size, answered.length, 'audit records of 2xx that were never answered');
  return { answered2xx: answered.length, audited2xx: audited.size };
}
