/**
 * `blindpseudo domain create | list | show | rotate-transit-key`: domains in the service's
 * database, worked on directly (with the master key). A running service loads domains and keys at
 * start: restart it after using these commands.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type DomainRegistry,
  type Keystore,
  loadConfigFile,
  openKeystore,
  validateDomainConfig,
} from '@blindpseudo/server';
import { type CommandContext, DIR_OPTIONS, UsageError, configPath, parseOptions } from '../context.js';

export const usage = `blindpseudo domain create KEY [--description TEXT] [--buffer-size 8] [--ttl PT10M]
                               [--owner JKU [--owner-jwks-file FILE]]...
blindpseudo domain list
blindpseudo domain show KEY
blindpseudo domain rotate-transit-key KEY
  All take [--dir DIR | --config FILE]. --owner-jwks-file pairs with the --owner at the same
  position; owners without a file are fetched from their JKU.`;

async function withKeystore<T>(
  ctx: CommandContext,
  values: { dir?: string; config?: string },
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

async function create(ctx: CommandContext): Promise<void> {
  const { values, positionals } = parseOptions(() =>
    parseArgs({
      args: [...ctx.args],
      options: {
        ...DIR_OPTIONS,
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
  const definition = validateDomainConfig(
    {
      key,
      ...(values.description === undefined ? {} : { description: values.description }),
      ...(values['buffer-size'] === undefined ? {} : { bufferSize: Number(values['buffer-size']) }),
      ...(values.ttl === undefined ? {} : { timeToLiveInTransit: values.ttl }),
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

async function list(ctx: CommandContext): Promise<void> {
  const { values } = parseOptions(() => parseArgs({ args: [...ctx.args], options: DIR_OPTIONS }));
  await withKeystore(ctx, values, async (domains) => {
    const rows = domains.keys().map((key) => {
      const d = domains.get(key).definition;
      return [
        key,
        String(d.bufferSize),
        d.timeToLiveInTransit,
        String(d.owners.length),
        String(domains.transitKeyStatus(key).length),
        d.description,
      ];
    });
    const header = ['DOMAIN', 'BUFFER', 'TTL', 'OWNERS', 'KEYS', 'DESCRIPTION'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const row of [header, ...rows])
      ctx.stdout.write(
        `${row
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd()}\n`,
      );
  });
}

async function show(ctx: CommandContext): Promise<void> {
  const { values, positionals } = parseOptions(() =>
    parseArgs({ args: [...ctx.args], options: DIR_OPTIONS, allowPositionals: true }),
  );
  const key = oneKey(positionals, 'show');
  await withKeystore(ctx, values, async (domains) => {
    const domain = domains.get(key);
    const d = domain.definition;
    const summary = {
      domain: key,
      desc: d.description,
      audience: domain.audience,
      bufferSize: d.bufferSize,
      timeToLiveInTransit: d.timeToLiveInTransit,
      jku: d.owners.map((o) => o.jku),
      accessRule: d.accessRule,
      transitKeys: domains.transitKeyStatus(key).map((k) => ({
        kid: k.kid,
        active: k.active,
        ...(k.deactivatedAt === undefined ? {} : { deactivatedAt: new Date(k.deactivatedAt).toISOString() }),
      })),
    };
    ctx.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  });
}

async function rotateTransitKey(ctx: CommandContext): Promise<void> {
  const { values, positionals } = parseOptions(() =>
    parseArgs({ args: [...ctx.args], options: DIR_OPTIONS, allowPositionals: true }),
  );
  const key = oneKey(positionals, 'rotate-transit-key');
  await withKeystore(ctx, values, async (domains) => {
    const kid = await domains.rotateTransitKey(key);
    ctx.stdout.write(`domain ${key}: new active transit key ${kid}\n`);
  });
}

const SUBCOMMANDS: Record<string, (ctx: CommandContext) => Promise<void>> = {
  create,
  list,
  show,
  'rotate-transit-key': rotateTransitKey,
};

export async function domain(ctx: CommandContext): Promise<void> {
  const [name, ...args] = ctx.args;
  const run = name === undefined ? undefined : SUBCOMMANDS[name];
  if (run === undefined) throw new UsageError(`domain needs one of: ${Object.keys(SUBCOMMANDS).join(', ')}`);
  await run({ ...ctx, args });
}
