// Bundles the console for browsers (esbuild, already the repository's bundler): one script, one
// style sheet and the page, into dist/. Nothing is loaded from elsewhere at run time.
import { copyFile, mkdir } from 'node:fs/promises';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url);
const dist = new URL('dist/', root);
await mkdir(dist, { recursive: true });
await build({
  entryPoints: [new URL('src/main.tsx', root).pathname],
  outfile: new URL('console.js', dist).pathname,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
await copyFile(new URL('src/console.css', root), new URL('console.css', dist));
await copyFile(new URL('src/index.html', root), new URL('index.html', dist));
await copyFile(new URL('src/favicon.svg', root), new URL('favicon.svg', dist));
