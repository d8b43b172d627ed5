/**
 * The Fastify app every owner service of the example starts from: JSON logs (to a file when
 * given a stream), strict schemas (unknown fields and wrong types refused, never coerced), a
 * body limit, problems for every error, and the party's store closed with the app.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { installProblemHandlers } from './problem.js';

export interface PartyAppOptions {
  logLevel: string;
  logStream?: NodeJS.WritableStream | undefined;
  bodyLimit: number;
  /** Closed when the app closes (the party's database). */
  store: { close(): void };
}

export function createPartyApp(options: PartyAppOptions): FastifyInstance {
  const app = Fastify({
    logger: { level: options.logLevel, ...(options.logStream === undefined ? {} : { stream: options.logStream }) },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    bodyLimit: options.bodyLimit,
  });
  app.addHook('onClose', async () => options.store.close());
  installProblemHandlers(app);
  return app;
}
