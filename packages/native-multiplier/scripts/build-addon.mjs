#!/usr/bin/env node
// Builds the native addon (build/Release/p521_multiplier.node) with the node-gyp that ships with
// npm, against the Node headers already on this machine. It never downloads anything: without
// local headers it stops.
//
// Run by npm as this package's "install" script during `npm ci` / `npm install` at the repository
// root (npm runs workspace packages' own install scripts; `allowScripts` gates dependencies only).
// A failed build does not fail the install (core's pure-JS multiplier still works) unless
// `--require` is given or BLINDPSEUDO_REQUIRE_NATIVE=1.
//
// Node headers: $npm_config_nodedir (npm's `nodedir` setting), else the prefix of the running
// node (<prefix>/include/node, where Debian's nodejs and the official tarballs put them).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const required = process.argv.includes('--require') || process.env.BLINDPSEUDO_REQUIRE_NATIVE === '1';

function giveUp(why) {
  const verdict = required ? 'error' : 'falling back to the pure-JS multiplier';
  console.error(`@blindpseudo/native-multiplier: native addon not built (${why}); ${verdict}`);
  process.exit(required ? 1 : 0);
}

if (process.platform !== 'linux') giveUp(`platform ${process.platform} is not supported (needs glibc's RTLD_DEEPBIND)`);

function findNodeGyp() {
  const candidates = [];
  // npm exports the path of its bundled node-gyp to lifecycle scripts.
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  // …and its own CLI script, next to which node-gyp is bundled.
  if (process.env.npm_execpath) {
    candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  // npm installed beside this node (Debian, official tarballs).
  const prefix = resolve(dirname(process.execPath), '..');
  candidates.push(join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  // A node-gyp installed in the repository, if any.
  try {
    candidates.push(createRequire(join(packageDir, 'package.json')).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed locally
  }
  return candidates.find((path) => existsSync(path));
}

function findNodeDir() {
  const configured = process.env.npm_config_nodedir;
  const dirs = configured ? [configured] : [resolve(dirname(process.execPath), '..')];
  return dirs.find((dir) => existsSync(join(dir, 'include', 'node', 'node_api.h')));
}

const nodeGyp = findNodeGyp();
if (nodeGyp === undefined) giveUp('node-gyp not found (it ships with npm)');
const nodeDir = findNodeDir();
if (nodeDir === undefined) {
  giveUp(
    `no Node headers (include/node/node_api.h) under ${process.env.npm_config_nodedir ?? 'the prefix of ' + process.execPath}; set npm's nodedir`,
  );
}

const result = spawnSync(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodeDir}`, '--loglevel=warn'], {
  cwd: packageDir,
  stdio: 'inherit',
  // With nodedir set node-gyp uses those headers and never downloads any.
  env: { ...process.env, npm_config_nodedir: nodeDir },
});
if (result.error) giveUp(`node-gyp could not run: ${result.error.message}`);
if (result.status !== 0) giveUp(`node-gyp exited with status ${result.status ?? result.signal}`);

// Load it once in a child process (the parent may be a different node) to report what we got.
const check = spawnSync(
  process.execPath,
  [
    '-e',
    `const s = require(${JSON.stringify(join(packageDir, 'build', 'Release', 'p521_multiplier.node'))}).status();
     if (!s.available) { console.error(s.reason); process.exit(1); }
     console.log(s.library);`,
  ],
  { encoding: 'utf8' },
);
if (check.status !== 0) giveUp(`the addon was built but cannot use libcrypto.so.3: ${check.stderr.trim()}`);
console.log(`@blindpseudo/native-multiplier: built, using ${check.stdout.trim()} (libcrypto.so.3)`);
