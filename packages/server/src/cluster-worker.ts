/**
 * A worker process of `serve --workers N` (cluster.ts): reads its options from the environment,
 * starts the service on the port the primary shares, tells the primary it listens, and stops
 * gracefully on SIGTERM.
 */
import { type WorkerOptions, WORKER_OPTIONS_ENV } from './cluster.js';
import { loadConfigFile } from './config-file.js';
import { applyServeOverrides } from './serve-options.js';
import { startServer } from './server.js';

const options = JSON.parse(process.env[WORKER_OPTIONS_ENV] ?? '{}') as WorkerOptions;
const config = applyServeOverrides(await loadConfigFile(options.configFile), options.overrides, options.cwd);
const server = await startServer(config);
process.send?.({ listening: server.address });
await server.closed;
process.disconnect?.();
