// Starts the real service (software keys, SQLite in a temp dir) for the benchmark, in its own
// process so that the load generator does not share its event loop. Prints its base URL.
import { startTestService } from '@blindpseudo/server/testing';

const service = await startTestService({ domains: [{ key: 'bench_v1' }] });
process.stdout.write(`${JSON.stringify({ baseUrl: service.baseUrl })}\n`);
const stop = (): void => void service.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
