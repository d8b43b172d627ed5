// Child process of service-process.ts: starts the real service with the domains given as JSON
// in argv[2], prints its base URL as one JSON line, and stops on SIGTERM.
import { type TestServiceDomain, startTestService } from '@blindpseudo/server/testing';

const service = await startTestService({ domains: JSON.parse(process.argv[2]!) as TestServiceDomain[] });
process.stdout.write(`${JSON.stringify({ baseUrl: service.baseUrl })}\n`);
process.once('SIGTERM', () => void service.close().then(() => process.exit(0)));
