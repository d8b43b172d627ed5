/**
 * `blindpseudo domain create | list | show | rotate-transit-key | refresh-owner-keys`: domains in
 * the service's database, worked on directly (with the master key), or through the admin API of a
 * running service with `--server`. A running service loads domains and keys at start: after
 * working on the database, restart it; through the admin API the change is in effect at once.
 * `refresh-owner-keys` exists in the remote mode only: owners' keys live in the running service.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type DomainRegistry,
  type DomainSummary,
  type Keystore,
  domainSummary,
  loadConfigFile,
  openKeystore,
  validateDomainConfig,
} from '@blindpseudo/server';
import { AdminClient, REMOTE_OPTIONS } from '../admin-client.js';
import { AdminApiError } from '../errors.js';
import { type CommandContext, DIR_OPTIONS, UsageError, configPath, parseOptions } from '../context.js';

export const usage = `blindpseudo domain create KEY [--description TEXT] [--buffer-size 8] [--ttl PT10M]
                               [--owner JKU [--owner-jwks-file FILE]]...
blindpseudo domain list
blindpseudo domain show KEY
blindpseudo domain rotate-transit-key KEY
blindpseudo domain refresh-owner-keys KEY --server URL [--token-file FILE]
  All but refresh-owner-keys take [--dir DIR | --config FILE]. --owner-jwks-file pairs with the --owner at the same
  position; owners without a file are fetched from their JKU. On the database, a running service
  sees new domains and keys only after a restart (until then it keeps making transits with the
  previous key).
  With --server URL [--token-file FILE] they call the admin API of a running service instead
  (the access token from FILE or the environment variable BLINDPSEUDO_TOKEN; its principal needs
  the admin role): a new domain or transit key is in use at once, no restart.
  refresh-owner-keys has the running service read the domain's owners' JWKS again now (it also
  does so periodically) and prints the kids in use per owner; exit code 1 when one could not be
  read (its last good keys stay in use).`;

const OPTIONS = { ...DIR_OPTIONS, ...REMOTE_OPTIONS } as const;

async function withKeystore<T>(
  ctx: CommandContext,
  values: { dir?: string | undefined; config?: string | undefined },
  work: (domains: DomainRegistry) => Promise<T>,
): Promise<T> {
  const config = await loadConfigFile(configPath(ctx, values));
  const keystore: Keystore = await openKeystore(config, { env: ctx.env, syncConfigDomains: true });
  try {
    return await work(keystore.domains);
  } finally {
    await keystore.close();
  }
}

function oneKey(positionals: string[], command: string): string {
  if (positionals.length !== 1) throw new UsageError(`domain ${command} takes exactly one domain key`);
  return positionals[0]!;
}

async function readJwks(ctx: CommandContext, file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(resolve(ctx.cwd, file), 'utf8'));
  } catch (err) {
    throw new AdminApiError(`cannot read a JSON key set from ${file} (${(err as Error).message})`);
  }
}

async function create(ctx: CommandContext): Promise<void> {
  const { values, positionals } = parseOptions(() =>
    parseArgs({
      args: [...ctx.args],
      options: {
        ...OPTIONS,
        description: { type: 'string' },
        'buffer-size': { type: 'string' },
        ttl: { type: 'string' },
        owner: { type: 'string', multiple: true, default: [] },
        'owner-jwks-file': { type: 'string', multiple: true, default: [] },
      },
      allowPositionals: true,
    }),
  );
  const key = oneKey(positionals, 'create');
  const files = values['owner-jwks-file'];
  if (files.length > values.owner.length)
    throw new UsageError('each --owner-jwks-file needs an --owner (its JKU) at the same position');
  const fields = {
    key,
    ...(values.description === undefined ? {} : { description: values.description }),
    ...(values['buffer-size'] === undefined ? {} : { bufferSize: Number(values['buffer-size']) }),
    ...(values.ttl === undefined ? {} : { timeToLiveInTransit: values.ttl }),
  };
  const remote = await AdminClient.fromOptions(ctx, values);
  if (remote !== undefined) {
    // The service cannot read the caller's files: owners' key sets go inline.
    const owners = await Promise.all(
      values.owner.map(async (jku, i) =>
        files[i] === undefined ? { jku } : { jku, jwks: await readJwks(ctx, files[i]) },
      ),
    );
    const created = await remote.createDomain({ ...fields, owners });
    ctx.stdout.write(`created domain ${key} (audience ${created.audience}), in use now\n`);
    return;
  }
  const definition = validateDomainConfig(
    {
      ...fields,
      owners: values.owner.map((jku, i) =>
        files[i] === undefined ? { jku } : { jku, jwksFile: resolve(ctx.cwd, files[i]) },
      ),
    },
    'domain',
    ctx.cwd,
  );
  await withKeystore(ctx, values, async (domains) => {
    if (domains.has(key)) throw new UsageError(`domain ${key} exists already`);
    await domains.createOrUpdate(definition);
    ctx.stdout.write(`created domain ${key} (audience ${domains.get(key).audience})\n`);
  });
}

function printTable(ctx: CommandContext, views: readonly DomainSummary[]): void {
  const rows = views.map((d) => [
    d.domain,
    String(d.bufferSize),
    d.timeToLiveInTransit,
    String(d.jku.length),
    String(d.transitKeys.length),
    d.description,
  ]);
  const header = ['DOMAIN', 'BUFFER', 'TTL', 'OWNERS', 'KEYS', 'DESCRIPTION'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows])
    ctx.stdout.write(
      `${row
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd()}\n`,
    );
}

async function list(ctx: CommandContext): Promise<void> {
  const { values } = parseOptions(() => parseArgs({ args: [...ctx.args], options: OPTIONS }));
  const remote = await AdminClient.fromOptions(ctx, values);
  if (remote !== undefined) return printTable(ctx, await remote.listDomains());
  await withKeystore(ctx, values, async (domains) =>
    printTable(
      ctx,
      domains.keys().map((key) => domainSummary(domains, key, domains.get(key).definition.accessRule)),
    ),
  );
}

function printShow(ctx: CommandContext, d: DomainSummary): void {
  const summary = {
    domain: d.domain,
    desc: d.description,
    audience: d.audience,
    bufferSize: d.bufferSize,
    timeToLiveInTransit: d.timeToLiveInTransit,
    jku: d.jku,
    accessRule: d.accessRule,
    transitPolicy: d.transitPolicy,
    transitKeys: d.transitKeys.map((k) => ({
      kid: k.kid,
      active: k.active,
      ...(k.deactivatedAt === undefined ? {} : { deactivatedAt: new Date(k.deactivatedAt).toISOString() }),
    })),
  };
  ctx.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}

async function show(ctx: CommandContext): Promise<void> {
  const { values, positionals } = parseOptions(() =>
    parseArgs({ args: [...ctx.args], options: OPTIONS, allowPositionals: true }),
  );
  const key = oneKey(positionals, 'show');
  const remote = await AdminClient.fromOptions(ctx, values);
  if (remote !== undefined) return printShow(ctx, await remote.showDomain(key));
  await withKeystore(ctx, values, async (domains) =>
    printShow(ctx, domainSummary(domains, key, domains.get(key).definition.accessRule)),
  );
}

async function rotateTransitKey(ctx: CommandContext): Promise<void> {
  const { values, positionals } = parseOptions(() =>
    parseArgs({ args: [...ctx.args], options: OPTIONS, allowPositionals: true }),
  );
  const key = oneKey(positionals, 'rotate-transit-key');
  const remote = await AdminClient.fromOptions(ctx, values);
  if (remote !== undefined) {
    const kid = await remote.rotateTransitKey(key);
    ctx.stdout.write(`domain ${key}: new active transit key ${kid}, in use now\n`);
    return;
  }
  await withKeystore(ctx, values, async (domains) => {
    const kid = await domains.rotateTransitKey(key);
    ctx.stdout.write(
      `domain ${key}: new active transit key ${kid} (running instances issue with it within a second)\n`,
    );
  });
}

async function refreshOwnerKeys(ctx: CommandContext): Promise<void> {
  const { values, positionals } = parseOptions(() =>
    parseArgs({ args: [...ctx.args], options: OPTIONS, allowPositionals: true }),
  );
  const key = oneKey(positionals, 'refresh-owner-keys');
  const remote = await AdminClient.fromOptions(ctx, values);
  if (remote === undefined)
    throw new UsageError(
      "domain refresh-owner-keys acts on a running service: give --server URL (a service reads the owners' keys at start)",
    );
  const owners = await remote.refreshOwnerKeys(key);
  for (const o of owners) {
    const state = o.error !== undefined ? 'failed' : o.changed ? 'changed' : 'unchanged';
    ctx.stdout.write(`${o.jku}\t${o.source}\t${state}\t${o.kids.join(',')}\n`);
  }
  const failed = owners.filter((o) => o.error !== undefined);
  if (failed.length > 0)
    throw new AdminApiError(`domain ${key}: ${failed.map((o) => o.error).join('; ')} (the last good keys stay in use)`);
}

const SUBCOMMANDS: Record<string, (ctx: CommandContext) => Promise<void>> = {
  create,
  list,
  show,
  'rotate-transit-key': rotateTransitKey,
  'refresh-owner-keys': refreshOwnerKeys,
};

export async function domain(ctx: CommandContext): Promise<void> {
  const [name, ...args] = ctx.args;
  const run = name === undefined ? undefined : SUBCOMMANDS[name];
  if (run === undefined) throw new UsageError(`domain needs one of: ${Object.keys(SUBCOMMANDS).join(', ')}`);
  await run({ ...ctx, args });
}
