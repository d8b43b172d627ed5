/**
 * A worker of {@link PseudonymizePool}: a whole client-side pipeline (encode, blind, HTTP,
 * validate, unblind) on its own thread, so bulk pseudonymisation uses every core. Values and
 * results never leave the two threads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createClient, formatPseudonymInTransit } from '@blindpseudo/client';
import { chooseMultiplier } from './multiplier.js';
import {
  type ItemOutcome,
  type PseudonymizeTask,
  type TaskResult,
  type WorkerInit,
  failureOf,
} from './pool-messages.js';

const init = workerData as WorkerInit;
const token = init.token;
const client = createClient({
  baseUrls: [...init.baseUrls],
  concurrency: init.concurrency,
  cache: false,
  multiplier: chooseMultiplier(init.multiplier),
  ...(token === undefined ? {} : { token: () => token }),
});

parentPort!.on('message', (task: PseudonymizeTask) => {
  void (async (): Promise<TaskResult> => {
    try {
      const results = await client.pseudonymizeMany(task.domain, task.values, { cache: false });
      const outcomes: ItemOutcome[] = results.map((r) =>
        r.ok ? { ok: true, transit: formatPseudonymInTransit(r.value) } : failureOf(r.error),
      );
      return { id: task.id, outcomes };
    } catch (err) {
      return { id: task.id, failure: failureOf(err) };
    }
  })().then((result) => parentPort!.postMessage(result));
});
