/**
 * The operator console's static files at `/console/`: one HTML page, one script, one style
 * sheet and an icon, built by `npm run build` in packages/console (nothing from a CDN). They hold no data:
 * every datum the console shows comes from the admin API, which requires the admin role, so the
 * files are public like the docs page and a caller without admin rights gets the login page.
 *
 * Every answer carries a strict Content-Security-Policy: scripts and styles from this origin
 * only (no inline script, no inline style, no eval), fetches to this origin only, no frames,
 * no plugins, no form submission anywhere, Trusted Types required for DOM sinks. The files are
 * read once at start; a service whose console was not built answers 503 at `/console/`.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyReply } from 'fastify';
import { ServiceError } from '../errors.js';
import { type Route, route } from './route-table.js';

export const CONSOLE_PATH = '/console/';

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

const FILES = {
  'index.html': 'text/html; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
} as const;
export type ConsoleFile = keyof typeof FILES;

/** The built files, or why they are missing. */
/** The console's built files, or why they cannot be served (then its routes answer 503). */
export async function loadConsoleFiles(): Promise<Map<ConsoleFile, Buffer> | string> {
  let dir: string;
  try {
    dir = join(dirname(createRequire(import.meta.url).resolve('@blindpseudo/console/package.json')), 'dist');
  } catch {
    return 'the console package is not installed';
  }
  const files = new Map<ConsoleFile, Buffer>();
  for (const name of Object.keys(FILES) as ConsoleFile[]) {
    try {
      files.set(name, await readFile(join(dir, name)));
    } catch {
      return 'the console is not built (npm run build)';
    }
  }
  return files;
}

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply.headers({
    'content-security-policy': CONSOLE_CSP,
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=()',
  });
}

/** The console's routes; `files` is what {@link loadConsoleFiles} gave (or why it could not). */
export function consoleRoutes(files: Map<ConsoleFile, Buffer> | string): Route[] {
  const send = (name: ConsoleFile, reply: FastifyReply): FastifyReply => {
    if (typeof files === 'string') throw new ServiceError('ERR_SERVER_UNAVAILABLE', files);
    return securityHeaders(reply).type(FILES[name]).send(files.get(name));
  };
  const page = (url: string, handler: Route['handler']): Route =>
    route({ method: 'GET', url, operation: 'console', access: 'public', schema: { hide: true }, handler });
  return [
    page('/console', async (_request, reply) => reply.redirect(CONSOLE_PATH, 301)),
    page(CONSOLE_PATH, async (_request, reply) => send('index.html', reply)),
    ...(['console.js', 'console.css', 'favicon.svg'] as const).map((name) =>
      page(`${CONSOLE_PATH}${name}`, async (_request, reply) => send(name, reply)),
    ),
  ];
}
