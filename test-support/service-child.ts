// Child process of service-process.ts: starts the real service with the domains given as JSON
// in argv[2] (the data directory in argv[3] unless empty, and more options as JSON in argv[4]),
// prints its base URL and data directory as one JSON line, and stops on SIGTERM.
import { type StartTestServiceOptions, type TestServiceDomain, startTestService } from '@blindpseudo/server/testing';

const dataDir = process.argv[3] || undefined;
const more = JSON.parse(process.argv[4] ?? '{}') as Pick<StartTestServiceOptions, 'storage' | 'publicBaseUrl' | 'cors'>;
const service = await startTestService({
  domains: JSON.parse(process.argv[2]!) as TestServiceDomain[],
  ...(dataDir === undefined ? {} : { dataDir }),
  ...more,
});
process.stdout.write(`${JSON.stringify({ baseUrl: service.baseUrl, dataDir: service.dataDir })}\n`);
process.once('SIGTERM', () => void service.close().then(() => process.exit(0)));
