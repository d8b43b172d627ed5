/**
 * Starting the service: build the app, listen, and shut down gracefully on SIGTERM / SIGINT
 * (stop accepting, finish requests in flight, close storage).
 */
import type { FastifyInstance } from 'fastify';
import { type BuildAppOptions, buildApp } from './app.js';
import type { ServiceConfig } from './config.js';

export interface RunningServer {
  readonly app: FastifyInstance;
  /** The address it listens on, e.g. http://127.0.0.1:8080. */
  readonly address: string;
  /** Resolves once the server has closed (after a signal or {@link RunningServer.close}). */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

export interface StartServerOptions extends BuildAppOptions {
  /** Close on SIGTERM and SIGINT (default true). */
  handleSignals?: boolean;
}

export async function startServer(config: ServiceConfig, options: StartServerOptions = {}): Promise<RunningServer> {
  const app = await buildApp(config, options);
  let address: string;
  try {
    address = await app.listen({ host: config.listen.host, port: config.listen.port });
  } catch (err) {
    await app.close();
    throw err;
  }
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  let closing: Promise<void> | undefined;
  const signals = ['SIGTERM', 'SIGINT'] as const;
  const onSignal = (signal: NodeJS.Signals): void => {
    app.log.info({ signal }, 'shutting down');
    void close();
  };
  const close = (): Promise<void> => {
    closing ??= (async () => {
      for (const s of signals) process.off(s, onSignal);
      await app.close();
      resolveClosed();
    })();
    return closing;
  };
  if (options.handleSignals ?? true) for (const s of signals) process.on(s, onSignal);
  return Object.freeze({ app, address, closed, close });
}
