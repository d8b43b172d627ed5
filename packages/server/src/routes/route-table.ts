/**
 * Routes declared as data: each one's method, path, name, access, schemas and handler in one
 * record, registered by one loop. The name is the route's operation in metrics and the audit log.
 */
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchema,
  FastifySchemaCompiler,
  RouteGenericInterface,
} from 'fastify';
import type { RouteAccess } from '../request-security.js';

export interface Route<R extends RouteGenericInterface = RouteGenericInterface> {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  /** The operation's name in metrics and the audit log. */
  readonly operation: string;
  readonly access: RouteAccess;
  readonly schema: FastifySchema;
  /** A body check of the route's own, instead of the schema's. */
  readonly validatorCompiler?: FastifySchemaCompiler<object>;
  /** Called when the request fails anywhere, also before the handler (e.g. in the body check). */
  readonly onError?: (request: FastifyRequest, reply: FastifyReply, error: FastifyError) => Promise<void>;
  readonly handler: (request: FastifyRequest<R>, reply: FastifyReply) => Promise<unknown>;
}

/** A route whose request is typed by `R` (params, body, querystring), for a table of routes. */
export function route<R extends RouteGenericInterface>(declaration: Route<R>): Route {
  return declaration as unknown as Route;
}

/** Registers every route of the table. */
export function registerRoutes(app: FastifyInstance, routes: readonly Route[]): void {
  for (const { operation, access, ...rest } of routes) app.route({ ...rest, config: { operation, access } });
}
