/**
 * Opening the service's database for the commands that only need storage (principals, access
 * grants, audit): no master key is needed, and a running service sees the changes at its next
 * request (it reads revocations and grants from storage on every request).
 */
import { Administration, type Storage, loadConfigFile, openStorage } from '@blindpseudo/server';
import { type CommandContext, configPath } from '../context.js';

export async function withStorage<T>(
  ctx: CommandContext,
  values: { dir?: string; config?: string },
  work: (storage: Storage, admin: Administration) => Promise<T>,
): Promise<T> {
  const config = await loadConfigFile(configPath(ctx, values));
  const storage = openStorage(config.storage);
  try {
    await storage.migrate();
    return await work(storage, new Administration(storage, { configuredDomains: config.domains.map((d) => d.key) }));
  } finally {
    await storage.close();
  }
}
