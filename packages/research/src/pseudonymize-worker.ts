/**
 * A worker of {@link PseudonymizePool}: a whole client-side pipeline (encode, blind, HTTP,
 * validate, unblind) on its own thread, so bulk pseudonymisation uses every core. Values and
 * results never leave the two threads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createClient } from '@blindpseudo/client';
import { chooseMultiplier, choosePointSearch } from './multiplier.js';
import type { PseudonymizeTask, TaskResult, WorkerInit } from './pool-messages.js';
import { pseudonymizeOutcomes } from './pseudonymize-outcomes.js';

const init = workerData as WorkerInit;
const token = init.token;
const client = createClient({
  baseUrls: [...init.baseUrls],
  concurrency: init.concurrency,
  cache: false,
  multiplier: chooseMultiplier(init.multiplier),
  pointSearch: choosePointSearch(init.multiplier),
  ...(token === undefined ? {} : { token: () => token }),
});

parentPort!.on('message', (task: PseudonymizeTask) => {
  void pseudonymizeOutcomes(client, task.domain, task.values).then((outcomes) =>
    parentPort!.postMessage({ id: task.id, outcomes } satisfies TaskResult),
  );
});
