/**
 * Storage faults on SQLite, with the real service in a child process under steady load: another
 * process holding an exclusive lock, the disk filling up (a small tmpfs), and SIGKILL. Each must
 * fail CLOSED: 503 problems with Retry-After (never 500, never a success without its audit
 * record), `/readyz` not ready while it lasts, `/livez` answering throughout, recovery by itself,
 * and afterwards the requests answered 2xx are exactly those with an audit record, and the audit
 * log verifies.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { SqliteStorage } from '../src/storage/sqlite.js';
import {
  assertAnsweredAreAudited,
  assertFailedClosed,
  startLoad,
  waitForStatus,
} from '../../../test-support/audited-load.ts';
import { type ServiceProcess, startServiceProcess } from '../../../test-support/service-process.ts';

const DB_FILE = 'blindpseudo.db';

/** Another process that takes SQLite's exclusive lock on `file` and keeps it until told to go. */
async function holdExclusiveLock(file: string): Promise<{ release(): Promise<void> }> {
  const script = `const db = new (require('better-sqlite3'))(process.argv[1]);
db.exec('BEGIN EXCLUSIVE');
process.stdout.write('locked\\n');
process.stdin.once('data', () => { db.exec('COMMIT'); db.close(); process.exit(0); });`;
  const child: ChildProcess = spawn(process.execPath, ['-e', script, file], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', () => resolve());
    child.once('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
  return {
    release: async () => {
      const exited = once(child, 'exit');
      child.stdin!.end('go\n');
      await exited;
    },
  };
}

/** Answers of `/livez` while the storage is failing: each within 2 s (a blocked event loop took 5–11 s). */
async function assertLive(svc: ServiceProcess): Promise<void> {
  const origin = new URL(svc.baseUrl).origin;
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${origin}/livez`, { signal: AbortSignal.timeout(2000) });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  }
}

async function auditedAfterStop(
  svc: ServiceProcess,
  exact: boolean,
  answers: Parameters<typeof assertAnsweredAreAudited>[1],
) {
  const storage = new SqliteStorage(join(svc.dataDir, DB_FILE));
  try {
    return await assertAnsweredAreAudited(storage, answers, exact);
  } finally {
    await storage.close();
  }
}

/**
 * Steady load on `svc` through one storage fault: `induce` makes the storage fail and `clear`
 * ends the fault (also when a check fails). While it holds: a 503, not ready, still live; once
 * cleared: ready again and a success, by itself. Then: never a 500, every 503 a problem with
 * Retry-After, and the requests answered 2xx exactly the audited ones.
 */
async function throughFault<T>(
  svc: ServiceProcess,
  domain: string,
  fault: { what: string; induce(): T | Promise<T>; clear(handle: T): void | Promise<void> },
): Promise<void> {
  const readyz = `${new URL(svc.baseUrl).origin}/readyz`;
  const load = await startLoad(svc.baseUrl, domain);
  try {
    await load.until((a) => a.status === 200, 'a first success');
    const handle = await fault.induce();
    try {
      await load.until((a) => a.status === 503, `a 503 while ${fault.what}`);
      await waitForStatus(readyz, 503);
      await assertLive(svc);
    } finally {
      await fault.clear(handle);
    }
    await waitForStatus(readyz, 200);
    await load.until((a) => a.status === 200, `a success once it is over (${fault.what})`);
  } finally {
    await load.stop();
    await svc.stop();
  }
  const counts = assertFailedClosed(load.answers);
  assert.ok((counts.get(503) ?? 0) > 0 && (counts.get(200) ?? 0) > 0, JSON.stringify([...counts]));
  await auditedAfterStop(svc, true, load.answers);
}

describe('storage faults on SQLite fail closed', () => {
  it('another process holding an exclusive lock: 503 with Retry-After, not ready, live, recovery; answered = audited', async () => {
    const svc = await startServiceProcess(['faults_v1']);
    await throughFault(svc, 'faults_v1', {
      what: 'another process holds the lock',
      induce: () => holdExclusiveLock(join(svc.dataDir, DB_FILE)),
      clear: (lock) => lock.release(),
    });
  });

  it('SIGKILL under load: every request answered 2xx has its record after the restart, and the log verifies', async () => {
    let svc = await startServiceProcess(['killed_v1']);
    const load = await startLoad(svc.baseUrl, 'killed_v1', 8);
    try {
      for (let i = 0; i < 20; i++) await load.until((a) => a.status === 200, 'successes');
      await svc.kill();
      await load.until((a) => a.status === 0, 'refused connections');
    } finally {
      await load.stop();
    }
    svc = await startServiceProcess(['killed_v1'], { dataDir: svc.dataDir });
    await waitForStatus(`${new URL(svc.baseUrl).origin}/readyz`, 200);
    await svc.stop();
    assertFailedClosed(load.answers);
    const { answered2xx } = await auditedAfterStop(svc, false, load.answers);
    assert.ok(answered2xx >= 20);
  });
});

/** A tmpfs of `size` mounted on a new directory (root only); undefined with the reason otherwise. */
function mountTmpfs(size: string): { dir: string; unmount(): void } | string {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const dir = mkdtempSync(join(tmpdir(), 'blindpseudo-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    return `mount -t tmpfs failed: ${(err as Error).message.split('\n')[0]}`;
  }
  return {
    dir,
    unmount: () => {
      execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Fills the file system of `dir` with one file until it is full; returns its path. */
function fillUp(dir: string): string {
  const file = join(dir, 'filler');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return file;
}

describe('disk full on SQLite fails closed', () => {
  const mounted = mountTmpfs('16m');
  const skip = typeof mounted === 'string' && process.env.CI !== 'true' ? mounted : false;

  it(
    'the data directory on a full tmpfs: 503 with Retry-After, not ready, recovery once space is freed; answered = audited',
    { skip },
    async () => {
      if (typeof mounted === 'string') assert.fail(mounted);
      try {
        await throughFault(await startServiceProcess(['full_v1'], { dataDir: mounted.dir }), 'full_v1', {
          what: 'the disk is full',
          induce: () => fillUp(mounted.dir),
          clear: (filler) => rmSync(filler),
        });
      } finally {
        mounted.unmount();
      }
    },
  );
});
