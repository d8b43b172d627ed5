/**
 * `blindpseudo research pseudonymize | convert | join`: bulk research jobs. The source side turns
 * a CSV/NDJSON file's identifiers (SSINs, or its own pseudonyms at rest) into pseudonyms in
 * transit of the research domain; the institute (owner of the research domain) joins the sources
 * on pseudonym, optionally anonymised. Jobs resume from their checkpoint when run again after an
 * interruption (Ctrl-C stops at the last committed batch). A bearer token, when the service needs
 * one, comes from the environment variable BLINDPSEUDO_TOKEN.
 */
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createClient, isClientError } from '@blindpseudo/client';
import { Owner, OwnerErrorCodes, isOwnerError } from '@blindpseudo/owner';
import {
  type JobProgress,
  MULTIPLIER_CHOICES,
  type MultiplierChoice,
  ProgressReporter,
  type ProgressStream,
  type RecordFormat,
  ResearchError,
  ResearchErrorCodes,
  chooseMultiplier,
  isResearchError,
  runJoin,
  runSourceJob,
} from '@blindpseudo/research';
import { type CommandContext, UsageError, parseOptions } from '../context.js';

export const usage = `blindpseudo research pseudonymize --service URL --domain RESEARCH --id COLUMN --in FILE --out FILE
blindpseudo research convert --service URL --from DOMAIN --domain RESEARCH --id COLUMN --in FILE --out FILE
                             --jku URL --owner-key PEM [--owner-kid KID] [--owner-scalar FILE]
  Sources: CSV (header row) or NDJSON in, the same rows out with each --id column (repeatable)
  replaced by a pseudonym in transit of RESEARCH. [--rejects FILE] (default OUT.rejects.ndjson)
  [--format csv|ndjson] [--delimiter ,] [--batch 1000] [--max-row-bytes 1048576] [--restart]
  pseudonymize: [--workers N] [--multiplier auto|native|noble]; convert: [--concurrency 16].
blindpseudo research join --service URL --domain RESEARCH --jku URL --owner-key PEM [--owner-kid KID]
                          --source NAME[:KEY]=FILE... [--key COLUMN] --out FILE [--also COLUMN]...
                          [--anonymise] [--inner] [--work-dir DIR] [--rejects FILE] [--restart]
  The institute side: one NDJSON record per person {pid, sources: {NAME: [rows]}}, joined on each
  source's KEY column (default --key); --also names other pseudonym columns to open; --anonymise
  replaces pseudonyms by one-way tokens under a key that is destroyed at the end (irreversible).
  All take [--progress-interval SECONDS] (lines when stderr is not a terminal; default 10).`;

const COMMON = {
  service: { type: 'string', multiple: true, default: [] as string[] },
  domain: { type: 'string' },
  out: { type: 'string' },
  rejects: { type: 'string' },
  delimiter: { type: 'string' },
  batch: { type: 'string' },
  'max-row-bytes': { type: 'string' },
  restart: { type: 'boolean', default: false },
  'progress-interval': { type: 'string' },
  multiplier: { type: 'string' },
} as const;

const SOURCE = {
  ...COMMON,
  id: { type: 'string', multiple: true, default: [] as string[] },
  in: { type: 'string' },
  format: { type: 'string' },
} as const;

const OWNER = {
  jku: { type: 'string' },
  'owner-key': { type: 'string' },
  'owner-kid': { type: 'string' },
  'owner-scalar': { type: 'string' },
} as const;

function required(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

function integer(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer`);
  return n;
}

function format(value: string | undefined): RecordFormat | undefined {
  if (value === undefined || value === 'csv' || value === 'ndjson') return value;
  throw new UsageError('--format must be csv or ndjson');
}

function delimiterOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.length !== 1 || value.charCodeAt(0) > 0x7f || value === '"' || value === '\r' || value === '\n')
    throw new UsageError('--delimiter must be one ASCII character other than a quote or a line break');
  return value;
}

const SOURCE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function multiplier(value: string | undefined): MultiplierChoice | undefined {
  if (value === undefined) return undefined;
  if (!(MULTIPLIER_CHOICES as readonly string[]).includes(value))
    throw new UsageError(`--multiplier must be one of ${MULTIPLIER_CHOICES.join(', ')}`);
  return value as MultiplierChoice;
}

/** A file the command must read: a clean message (exit 1), not a stack trace, when it cannot. */
async function readable(path: string, what: string): Promise<string> {
  try {
    await access(path, constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ResearchError(ResearchErrorCodes.INVALID_INPUT, `${what} ${path} cannot be read (${code})`);
  }
  return path;
}

function services(values: { service: string[] }): string[] {
  if (values.service.length === 0) throw new UsageError('--service is required (the base URL, …/pseudo/v1)');
  return values.service;
}

function progressInterval(value: string | undefined): number | undefined {
  const seconds = value === undefined ? undefined : Number(value);
  if (seconds !== undefined && !(seconds > 0 && Number.isFinite(seconds)))
    throw new UsageError('--progress-interval must be a positive number');
  return seconds;
}

/** Runs a job with progress on stderr and Ctrl-C as an interruption at the last checkpoint. */
async function withProgress<T>(
  ctx: CommandContext,
  seconds: number | undefined,
  run: (signal: AbortSignal, onProgress: (p: JobProgress) => void) => Promise<T>,
): Promise<{ result: T; reporter: ProgressReporter }> {
  const reporter = new ProgressReporter({
    stream: ctx.stderr as ProgressStream,
    ...(seconds === undefined ? {} : { intervalSeconds: seconds }),
  });
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  try {
    const result = await run(controller.signal, (p) => reporter.update(p));
    return { result, reporter };
  } catch (err) {
    // The error message starts on its own line, not after the bar.
    reporter.stop();
    if (isResearchError(err, ResearchErrorCodes.ABORTED)) {
      throw new ResearchError(
        ResearchErrorCodes.ABORTED,
        'interrupted: what was committed is kept; run the same command again to resume (--restart to start over)',
      );
    }
    throw err;
  } finally {
    process.removeListener('SIGINT', onSignal);
  }
}

/** Owner and client set-up failures are reported as service failures (no stack trace). */
async function createOwner(
  ctx: CommandContext,
  values: { jku?: string; 'owner-key'?: string; 'owner-kid'?: string; 'owner-scalar'?: string; multiplier?: string },
  baseUrls: string[],
): Promise<Owner> {
  const jku = required(values.jku, 'jku');
  const keyFile = await readable(resolve(ctx.cwd, required(values['owner-key'], 'owner-key')), 'the owner key');
  const privateKey = new Uint8Array(await readFile(keyFile));
  const token = ctx.env['BLINDPSEUDO_TOKEN'];
  const client = createClient({ baseUrls, ...(token === undefined ? {} : { token: () => token }) });
  const ownerScalar =
    values['owner-scalar'] === undefined
      ? undefined
      : await readFile(await readable(resolve(ctx.cwd, values['owner-scalar']), 'the owner scalar'), 'utf8');
  try {
    return await Owner.create({
      client,
      jku,
      multiplier: chooseMultiplier(multiplier(values.multiplier) ?? 'auto'),
      ...(ownerScalar === undefined ? {} : { ownerScalar }),
      keys: [{ privateKey, ...(values['owner-kid'] === undefined ? {} : { kid: values['owner-kid'] }) }],
    });
  } catch (err) {
    // A key file that is not a usable key (the messages name no key material).
    if (isOwnerError(err, OwnerErrorCodes.INVALID_OWNER_KEY)) {
      throw new ResearchError(
        ResearchErrorCodes.INVALID_INPUT,
        `the owner key ${keyFile} ${err.message.replace(/^owner key /, '')}`,
      );
    }
    if (isOwnerError(err) || isClientError(err)) {
      throw new ResearchError(ResearchErrorCodes.SERVICE_FAILED, `the owner could not be set up: ${err.message}`);
    }
    // A key file that is not a usable key (the messages name no key material).
    if (err instanceof TypeError || err instanceof RangeError) {
      throw new ResearchError(
        ResearchErrorCodes.INVALID_INPUT,
        `the owner key ${keyFile} cannot be used: ${err.message}`,
      );
    }
    throw err;
  }
}

async function sourceJob(ctx: CommandContext, kind: 'pseudonymize' | 'convert'): Promise<void> {
  const { values } = parseOptions(() =>
    parseArgs({
      args: [...ctx.args.slice(1)],
      options: {
        ...SOURCE,
        ...OWNER,
        workers: { type: 'string' },
        from: { type: 'string' },
        concurrency: { type: 'string' },
      },
      allowPositionals: false,
    }),
  );
  const misplaced =
    kind === 'pseudonymize'
      ? (['jku', 'owner-key', 'owner-kid', 'owner-scalar', 'from', 'concurrency'] as const)
      : (['workers'] as const);
  for (const name of misplaced) {
    if (values[name] !== undefined) throw new UsageError(`research ${kind} does not take --${name}`);
  }
  const v = values as Record<string, string | string[] | boolean | undefined> & { service: string[]; id: string[] };
  // Every option is checked before anything is read or any service is called.
  const baseUrls = services(v);
  const inputPath = resolve(ctx.cwd, required(v['in'] as string | undefined, 'in'));
  const output = resolve(ctx.cwd, required(v['out'] as string | undefined, 'out'));
  if (v.id.length === 0) throw new UsageError('--id is required (the identifier column; repeatable)');
  const domain = required(v['domain'] as string | undefined, 'domain');
  const fmt = format(v['format'] as string | undefined);
  const delimiter = delimiterOption(v['delimiter'] as string | undefined);
  const batch = integer(v['batch'] as string | undefined, 'batch');
  const maxRow = integer(v['max-row-bytes'] as string | undefined, 'max-row-bytes');
  const workers = integer(v['workers'] as string | undefined, 'workers');
  const concurrency = integer(v['concurrency'] as string | undefined, 'concurrency');
  const chosen = multiplier(v['multiplier'] as string | undefined);
  const interval = progressInterval(v['progress-interval'] as string | undefined);
  if (kind === 'convert') {
    required(v['from'] as string | undefined, 'from');
    required(v['jku'] as string | undefined, 'jku');
    required(v['owner-key'] as string | undefined, 'owner-key');
  }
  const input = await readable(inputPath, 'the input');
  const token = ctx.env['BLINDPSEUDO_TOKEN'];
  const identifiers =
    kind === 'pseudonymize'
      ? {
          kind: 'ssin' as const,
          baseUrls,
          ...(token === undefined ? {} : { token }),
          ...(workers === undefined ? {} : { workers }),
          ...(chosen === undefined ? {} : { multiplier: chosen }),
        }
      : {
          kind: 'atRest' as const,
          owner: await createOwner(ctx, v as Record<string, string>, baseUrls),
          fromDomain: v['from'] as string,
          ...(concurrency === undefined ? {} : { concurrency }),
        };
  const { result, reporter } = await withProgress(ctx, interval, (signal, onProgress) =>
    runSourceJob({
      input,
      output,
      rejects: resolve(ctx.cwd, (v['rejects'] as string | undefined) ?? `${output}.rejects.ndjson`),
      idColumns: v.id,
      domain,
      identifiers,
      ...(fmt === undefined ? {} : { format: fmt }),
      ...(delimiter === undefined ? {} : { delimiter }),
      ...(batch === undefined ? {} : { batchSize: batch }),
      ...(maxRow === undefined ? {} : { maxRecordBytes: maxRow }),
      restart: v['restart'] === true,
      signal,
      onProgress,
    }),
  );
  reporter.finish(result);
  if (result.resumedAt > 0) ctx.stdout.write(`resumed after ${result.resumedAt} rows\n`);
  ctx.stdout.write(`${JSON.stringify(result)}\n`);
}

async function join(ctx: CommandContext): Promise<void> {
  const { values } = parseOptions(() =>
    parseArgs({
      args: [...ctx.args.slice(1)],
      options: {
        ...COMMON,
        ...OWNER,
        source: { type: 'string', multiple: true, default: [] as string[] },
        key: { type: 'string' },
        also: { type: 'string', multiple: true, default: [] as string[] },
        anonymise: { type: 'boolean', default: false },
        inner: { type: 'boolean', default: false },
        'work-dir': { type: 'string' },
        concurrency: { type: 'string' },
      },
      allowPositionals: false,
    }),
  );
  const baseUrls = services(values);
  const output = resolve(ctx.cwd, required(values.out, 'out'));
  if (values.source.length === 0) throw new UsageError('--source NAME[:KEY]=FILE is required (repeatable)');
  const delimiter = delimiterOption(values.delimiter);
  const names = new Set<string>();
  const sources = values.source.map((s) => {
    const eq = s.indexOf('=');
    if (eq <= 0 || eq === s.length - 1) throw new UsageError(`--source must be NAME[:KEY]=FILE, not ${s}`);
    const [name, key] = s.slice(0, eq).split(':', 2) as [string, string | undefined];
    if (!SOURCE_NAME.test(name))
      throw new UsageError(`--source names are 1 to 64 letters, digits, _ . - (not ${name})`);
    if (names.has(name)) throw new UsageError(`--source ${name} is given twice`);
    names.add(name);
    const keyColumn = key ?? values.key;
    if (keyColumn === undefined || keyColumn === '')
      throw new UsageError(`--source ${name} needs a key column (:KEY or --key)`);
    return {
      name,
      path: resolve(ctx.cwd, s.slice(eq + 1)),
      keyColumn,
      otherIdColumns: values.also,
      ...(delimiter === undefined ? {} : { delimiter }),
    };
  });
  // Every option is checked before anything is read or any service is called.
  const domain = required(values.domain, 'domain');
  required(values.jku, 'jku');
  required(values['owner-key'], 'owner-key');
  multiplier(values.multiplier);
  const batch = integer(values.batch, 'batch');
  const concurrency = integer(values.concurrency, 'concurrency');
  const maxRow = integer(values['max-row-bytes'], 'max-row-bytes');
  const interval = progressInterval(values['progress-interval']);
  for (const source of sources) await readable(source.path, `the source ${source.name}`);
  const owner = await createOwner(ctx, values, baseUrls);
  const { result, reporter } = await withProgress(ctx, interval, (signal, onProgress) =>
    runJoin({
      sources,
      output,
      rejects: resolve(ctx.cwd, values.rejects ?? `${output}.rejects.ndjson`),
      owner,
      domain,
      anonymise: values.anonymise,
      inner: values.inner,
      restart: values.restart,
      ...(values['work-dir'] === undefined ? {} : { workDir: resolve(ctx.cwd, values['work-dir']) }),
      ...(batch === undefined ? {} : { batchSize: batch }),
      ...(concurrency === undefined ? {} : { concurrency }),
      ...(maxRow === undefined ? {} : { maxRecordBytes: maxRow }),
      signal,
      onProgress,
    }),
  );
  reporter.finish({ rows: result.rows, written: result.loaded, rejected: result.rejected });
  if (result.resumedAt > 0) ctx.stdout.write(`resumed after ${result.resumedAt} rows\n`);
  ctx.stdout.write(`${JSON.stringify(result)}\n`);
}

export async function research(ctx: CommandContext): Promise<void> {
  const sub = ctx.args[0];
  if (sub === 'pseudonymize') return sourceJob(ctx, 'pseudonymize');
  if (sub === 'convert') return sourceJob(ctx, 'convert');
  if (sub === 'join') return join(ctx);
  throw new UsageError(sub === undefined ? 'research needs a subcommand' : `unknown research subcommand ${sub}`);
}
