/**
 * `blindpseudo research pseudonymise | convert | join`: bulk research jobs. The source side turns
 * a CSV/NDJSON file's identifiers (SSINs, or its own pseudonyms at rest) into pseudonyms in
 * transit of the research domain; the institute (owner of the research domain) joins the sources
 * on pseudonym, optionally anonymised. Jobs resume from their checkpoint when run again after an
 * interruption (Ctrl-C stops at the last committed batch). A bearer token, when the service needs
 * one, comes from the environment variable BLINDPSEUDO_TOKEN. Both spellings are accepted:
 * pseudonymise/pseudonymize, --anonymise/--anonymize.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  JOIN_OUTPUT_FORMATS,
  type JoinOutputFormat,
  type RecordFormat,
  runJoin,
  runSourceJob,
} from '@blindpseudo/research';
import { type CommandContext, UsageError, parseOptions } from '../context.js';
import {
  OWNER_OPTIONS,
  checkOutcome,
  createOwner,
  delimiterOption,
  integer,
  multiplier,
  percentage,
  progressInterval,
  readable,
  required,
  services,
  withProgress,
} from './research-options.js';

export const usage = `blindpseudo research pseudonymise --service URL --domain RESEARCH --id COLUMN --in FILE --out FILE
blindpseudo research convert --service URL --from DOMAIN --domain RESEARCH --id COLUMN --in FILE --out FILE
                             --jku URL --owner-key FILE [--owner-kid KID] [--owner-scalar FILE]
  Sources: CSV (header row) or NDJSON in, the same rows out with each --id column (repeatable)
  replaced by a pseudonym in transit of RESEARCH (about 15x the input's size; an OUT named .gz is
  gzipped, and join reads it as it is). [--rejects FILE] (default OUT.rejects.ndjson)
  [--format csv|ndjson] (input; default from its name) [--delimiter C] (default: detected from the
  header: , ; tab |) [--batch 1000] [--max-row-bytes 1048576] [--restart] [--force]
  pseudonymise (or pseudonymize): [--workers N] [--multiplier auto|native|noble]; convert: [--concurrency 16].
blindpseudo research join --service URL --domain RESEARCH --jku URL --owner-key FILE [--owner-kid KID]
                          --source NAME[:KEY]=FILE... [--key COLUMN] --out FILE [--also COLUMN]...
                          [--format ndjson|csv|parquet] [--anonymise] [--inner] [--delimiter C]
                          [--work-dir DIR] [--rejects FILE] [--restart] [--force]
  The institute side, joined on each source's KEY column (default --key); --also names other
  pseudonym columns to open. Output: ndjson, one record per person {pid, sources: {NAME: [rows]}};
  csv or parquet, a long table per source (OUT.NAME.csv / OUT.NAME.parquet) keyed by pid; the
  format comes from OUT's name when not given (.ndjson .jsonl .csv, +.gz; .parquet). --anonymise
  (or --anonymize) replaces pseudonyms by one-way tokens under a key destroyed at the end.
  Owner keys: a private JWK (as init writes), PKCS#8 or PKCS#1 PEM, key+certificate PEM, or PKCS#12
  with --owner-key-password-file FILE (or BLINDPSEUDO_OWNER_KEY_PASSWORD) [--owner-key-alias NAME];
  the kid is found from the domain's recipients when --owner-kid is not given.
  All: existing outputs are kept unless --force (resuming is not overwriting); exit 1 when nothing
  was produced; a warning above [--max-reject-rate PERCENT] (default 10) rejected rows;
  [--progress-interval SECONDS] (lines when stderr is not a terminal; default 10).`;

const COMMON = {
  service: { type: 'string', multiple: true, default: [] as string[] },
  domain: { type: 'string' },
  out: { type: 'string' },
  rejects: { type: 'string' },
  delimiter: { type: 'string' },
  format: { type: 'string' },
  batch: { type: 'string' },
  'max-row-bytes': { type: 'string' },
  'max-reject-rate': { type: 'string' },
  restart: { type: 'boolean', default: false },
  force: { type: 'boolean', default: false },
  'progress-interval': { type: 'string' },
  multiplier: { type: 'string' },
} as const;

const SOURCE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function inputFormat(value: string | undefined): RecordFormat | undefined {
  if (value === undefined || value === 'csv' || value === 'ndjson') return value;
  throw new UsageError('--format must be csv or ndjson (the input format)');
}

function outputFormat(value: string | undefined): JoinOutputFormat | undefined {
  if (value === undefined || (JOIN_OUTPUT_FORMATS as readonly string[]).includes(value))
    return value as JoinOutputFormat | undefined;
  throw new UsageError(`--format must be one of ${JOIN_OUTPUT_FORMATS.join(', ')}`);
}

type SourceValues = Record<string, string | string[] | boolean | undefined> & { service: string[]; id: string[] };

function parseSourceArgs(ctx: CommandContext, kind: 'pseudonymise' | 'convert'): SourceValues {
  const typed = ctx.args[0];
  const { values } = parseOptions(() =>
    parseArgs({
      args: [...ctx.args.slice(1)],
      options: {
        ...COMMON,
        ...OWNER_OPTIONS,
        id: { type: 'string', multiple: true, default: [] as string[] },
        in: { type: 'string' },
        workers: { type: 'string' },
        from: { type: 'string' },
        concurrency: { type: 'string' },
      },
      allowPositionals: false,
    }),
  );
  const misplaced =
    kind === 'pseudonymise'
      ? ([...Object.keys(OWNER_OPTIONS), 'from', 'concurrency'] as const)
      : (['workers'] as const);
  for (const name of misplaced) {
    if ((values as Record<string, unknown>)[name] !== undefined)
      throw new UsageError(`research ${typed} does not take --${name}`);
  }
  return values as SourceValues;
}

async function sourceJob(ctx: CommandContext, kind: 'pseudonymise' | 'convert'): Promise<void> {
  const v = parseSourceArgs(ctx, kind);
  const str = (name: string): string | undefined => v[name] as string | undefined;
  // Every option is checked before anything is read or any service is called.
  const baseUrls = services(v);
  const inputPath = resolve(ctx.cwd, required(str('in'), 'in'));
  const output = resolve(ctx.cwd, required(str('out'), 'out'));
  if (v.id.length === 0) throw new UsageError('--id is required (the identifier column; repeatable)');
  const domain = required(str('domain'), 'domain');
  const fmt = inputFormat(str('format'));
  const delimiter = delimiterOption(str('delimiter'));
  const batch = integer(str('batch'), 'batch');
  const maxRow = integer(str('max-row-bytes'), 'max-row-bytes');
  const workers = integer(str('workers'), 'workers');
  const concurrency = integer(str('concurrency'), 'concurrency');
  const chosen = multiplier(str('multiplier'));
  const interval = progressInterval(str('progress-interval'));
  const maxRejectPercent = percentage(str('max-reject-rate'), 'max-reject-rate', 10);
  if (kind === 'convert') for (const name of ['from', 'jku', 'owner-key']) required(str(name), name);
  const input = await readable(inputPath, 'the input');
  const token = ctx.env['BLINDPSEUDO_TOKEN'];
  const identifiers =
    kind === 'pseudonymise'
      ? {
          kind: 'ssin' as const,
          baseUrls,
          ...(token === undefined ? {} : { token }),
          ...(workers === undefined ? {} : { workers }),
          ...(chosen === undefined ? {} : { multiplier: chosen }),
        }
      : {
          kind: 'atRest' as const,
          owner: await createOwner(ctx, v as Record<string, string>, baseUrls, str('from')!),
          fromDomain: str('from')!,
          ...(concurrency === undefined ? {} : { concurrency }),
        };
  const rejects = resolve(ctx.cwd, str('rejects') ?? `${output}.rejects.ndjson`);
  const { result, reporter } = await withProgress(ctx, interval, (signal, onProgress) =>
    runSourceJob({
      input,
      output,
      rejects,
      idColumns: v.id,
      domain,
      identifiers,
      ...(fmt === undefined ? {} : { format: fmt }),
      ...(delimiter === undefined ? {} : { delimiter }),
      ...(batch === undefined ? {} : { batchSize: batch }),
      ...(maxRow === undefined ? {} : { maxRecordBytes: maxRow }),
      restart: v['restart'] === true,
      overwrite: v['force'] === true,
      signal,
      onProgress,
    }),
  );
  reporter.finish(result);
  if (result.resumedAt > 0) ctx.stdout.write(`resumed after ${result.resumedAt} rows\n`);
  await checkOutcome(ctx, {
    ...result,
    empty: result.written === 0 ? [{ what: 'the input', rows: result.rows }] : [],
    outputs: [output],
    rejects,
    maxRejectPercent,
  });
  ctx.stdout.write(`${JSON.stringify(result)}\n`);
}

function parseJoinArgs(ctx: CommandContext) {
  const { values } = parseOptions(() =>
    parseArgs({
      args: [...ctx.args.slice(1)],
      options: {
        ...COMMON,
        ...OWNER_OPTIONS,
        source: { type: 'string', multiple: true, default: [] as string[] },
        key: { type: 'string' },
        also: { type: 'string', multiple: true, default: [] as string[] },
        anonymise: { type: 'boolean', default: false },
        anonymize: { type: 'boolean', default: false },
        inner: { type: 'boolean', default: false },
        'work-dir': { type: 'string' },
        concurrency: { type: 'string' },
      },
      allowPositionals: false,
    }),
  );
  return values;
}

function joinSources(ctx: CommandContext, values: ReturnType<typeof parseJoinArgs>) {
  if (values.source.length === 0) throw new UsageError('--source NAME[:KEY]=FILE is required (repeatable)');
  const delimiter = delimiterOption(values.delimiter);
  const names = new Set<string>();
  return values.source.map((s) => {
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
}

async function join(ctx: CommandContext): Promise<void> {
  const values = parseJoinArgs(ctx);
  const baseUrls = services(values);
  const output = resolve(ctx.cwd, required(values.out, 'out'));
  const sources = joinSources(ctx, values);
  // Every option is checked before anything is read or any service is called.
  const domain = required(values.domain, 'domain');
  required(values.jku, 'jku');
  required(values['owner-key'], 'owner-key');
  multiplier(values.multiplier);
  const format = outputFormat(values.format);
  const batch = integer(values.batch, 'batch');
  const concurrency = integer(values.concurrency, 'concurrency');
  const maxRow = integer(values['max-row-bytes'], 'max-row-bytes');
  const interval = progressInterval(values['progress-interval']);
  const maxRejectPercent = percentage(values['max-reject-rate'], 'max-reject-rate', 10);
  for (const source of sources) await readable(source.path, `the source ${source.name}`);
  const owner = await createOwner(ctx, values, baseUrls, domain);
  const rejects = resolve(ctx.cwd, values.rejects ?? `${output}.rejects.ndjson`);
  const { result, reporter } = await withProgress(ctx, interval, (signal, onProgress) =>
    runJoin({
      sources,
      output,
      rejects,
      owner,
      domain,
      anonymise: values.anonymise || values.anonymize,
      inner: values.inner,
      restart: values.restart,
      overwrite: values.force,
      ...(format === undefined ? {} : { format }),
      ...(values['work-dir'] === undefined ? {} : { workDir: resolve(ctx.cwd, values['work-dir']) }),
      ...(batch === undefined ? {} : { batchSize: batch }),
      ...(concurrency === undefined ? {} : { concurrency }),
      ...(maxRow === undefined ? {} : { maxRecordBytes: maxRow }),
      signal,
      onProgress,
    }),
  );
  reporter.finish({ ...result, written: result.loaded });
  if (result.resumedAt > 0) ctx.stdout.write(`resumed after ${result.resumedAt} rows\n`);
  await checkOutcome(ctx, {
    ...result,
    empty: result.sources.filter((s) => s.loaded === 0).map((s) => ({ what: `the source ${s.name}`, rows: s.rows })),
    outputs: result.outputs,
    rejects,
    maxRejectPercent,
  });
  ctx.stdout.write(`${JSON.stringify(result)}\n`);
}

export async function research(ctx: CommandContext): Promise<void> {
  const sub = ctx.args[0];
  if (sub === 'pseudonymize' || sub === 'pseudonymise') return sourceJob(ctx, 'pseudonymise');
  if (sub === 'convert') return sourceJob(ctx, 'convert');
  if (sub === 'join') return join(ctx);
  throw new UsageError(sub === undefined ? 'research needs a subcommand' : `unknown research subcommand ${sub}`);
}
