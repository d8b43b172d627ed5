/**
 * A small command line for the GP's and the pharmacist's software, against running parties:
 *
 *   cli.ts gp register --ssin SSIN --medication TEXT [--text TEXT] [--day YYYY-MM-DD]
 *   cli.ts gp issued [--day YYYY-MM-DD]                  (default: yesterday)
 *   cli.ts pharmacist relation --ssin SSIN
 *   cli.ts pharmacist prescriptions --ssin SSIN
 *
 * Connection settings come from the environment: BLINDPSEUDO_URL (the service's base URL,
 * …/pseudo/v1), BLINDPSEUDO_TOKEN (the bearer token there), BACKEND_URL, THERLINK_URL,
 * BACKEND_TOKEN (the professional's token at the backend and the therapeutic-relation service),
 * PROFESSIONAL_ID (the professional's id, the subject transits are bound to) and, for the GP,
 * GP_SSIN (her own SSIN). Errors are printed on one line; exit code 1 (2 for wrong usage).
 */
import { parseArgs } from 'node:util';
import { createClient } from '@blindpseudo/client';
import type { FreeText } from './free-text.js';
import { GpSoftware, isoDay } from './gp-software.js';
import { PharmacistSoftware } from './pharmacist-software.js';

class UsageError extends Error {}

const USAGE = `usage: cli.ts gp register --ssin SSIN --medication TEXT [--text TEXT] [--day YYYY-MM-DD]
       cli.ts gp issued [--day YYYY-MM-DD]
       cli.ts pharmacist relation --ssin SSIN
       cli.ts pharmacist prescriptions --ssin SSIN
environment: BLINDPSEUDO_URL BLINDPSEUDO_TOKEN BACKEND_URL THERLINK_URL BACKEND_TOKEN PROFESSIONAL_ID GP_SSIN`;

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value.length === 0) throw new UsageError(`set ${name}`);
  return value;
}

function required(value: string | undefined, option: string): string {
  if (value === undefined) throw new UsageError(`--${option} is required`);
  return value;
}

const showText = (text: FreeText | undefined): string =>
  text === undefined ? '' : text.state === 'opened' ? `\n    ${text.value}` : `\n    (sealed: ${text.reason})`;

async function run(argv: string[]): Promise<void> {
  const [role, command, ...rest] = argv;
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        ssin: { type: 'string' },
        medication: { type: 'string' },
        text: { type: 'string' },
        day: { type: 'string' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const serviceToken = env('BLINDPSEUDO_TOKEN');
  const client = createClient({ baseUrls: env('BLINDPSEUDO_URL'), token: () => serviceToken });
  const common = {
    client,
    backendUrl: env('BACKEND_URL'),
    token: env('BACKEND_TOKEN'),
    professionalId: env('PROFESSIONAL_ID'),
  };
  if (role === 'gp') {
    const gp = new GpSoftware({ ...common, ssin: env('GP_SSIN') });
    if (command === 'register') {
      const id = await gp.registerPrescription({
        patientSsin: required(values.ssin, 'ssin'),
        medication: required(values.medication, 'medication'),
        ...(values.text === undefined ? {} : { text: values.text }),
        ...(values.day === undefined ? {} : { prescribedOn: values.day }),
      });
      process.stdout.write(`registered ${id}\n`);
      return;
    }
    if (command === 'issued') {
      for (const p of await gp.prescriptionsIssuedOn(values.day ?? isoDay(-1)))
        process.stdout.write(`${p.id}  ${p.patientSsin}  ${p.medication}${showText(p.text)}\n`);
      return;
    }
  }
  if (role === 'pharmacist') {
    const pharmacist = new PharmacistSoftware({ ...common, therlinkUrl: env('THERLINK_URL') });
    if (command === 'relation') {
      const created = await pharmacist.registerTherapeuticRelation(required(values.ssin, 'ssin'));
      process.stdout.write(created ? 'relation registered\n' : 'relation existed already\n');
      return;
    }
    if (command === 'prescriptions') {
      for (const p of await pharmacist.prescriptionsOf(required(values.ssin, 'ssin')))
        process.stdout.write(
          `${p.id}  ${p.prescribedOn}  ${p.medication}  by ${p.prescriberSsin}${showText(p.text)}\n`,
        );
      return;
    }
  }
  throw new UsageError('unknown command');
}

try {
  await run(process.argv.slice(2));
} catch (err) {
  if (err instanceof UsageError) {
    process.stderr.write(`${err.message}\n${USAGE}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
