// Child process of service-process.ts: starts the real service with the domains given as JSON
// in argv[2] (and the data directory in argv[3], if any), prints its base URL and data directory
// as one JSON line, and stops on SIGTERM.
import { type TestServiceDomain, startTestService } from '@blindpseudo/server/testing';

const dataDir = process.argv[3];
const service = await startTestService({
  domains: JSON.parse(process.argv[2]!) as TestServiceDomain[],
  ...(dataDir === undefined ? {} : { dataDir }),
});
process.stdout.write(`${JSON.stringify({ baseUrl: service.baseUrl, dataDir: service.dataDir })}\n`);
process.once('SIGTERM', () => void service.close().then(() => process.exit(0)));
