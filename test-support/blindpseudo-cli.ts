// The blindpseudo command from the TypeScript sources, for tests that run it as a real process:
// node --conditions=source --import tsx test-support/blindpseudo-cli.ts serve …
import { main } from '@blindpseudo/cli';

process.exitCode = await main(process.argv.slice(2));
