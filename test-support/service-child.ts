// Child process of service-process.ts: starts the real service with the domains named on the
// command line, prints its base URL as one JSON line, and stops on SIGTERM.
import { startTestService } from '@blindpseudo/server/testing';

const service = await startTestService({ domains: process.argv.slice(2).map((key) => ({ key })) });
process.stdout.write(`${JSON.stringify({ baseUrl: service.baseUrl })}\n`);
process.once('SIGTERM', () => void service.close().then(() => process.exit(0)));
