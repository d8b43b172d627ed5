// Logs never hold a request's query string: a bearer token sent as ?access_token= (refused, but
// logged before) would otherwise be written in full.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { it } from 'node:test';
import { startTestService } from '../src/testing.js';

it('a token in the query string is refused and never written to the logs', async () => {
  let logs = '';
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs += chunk.toString('utf8');
      done();
    },
  });
  const svc = await startTestService({ domains: [{ key: 'logs' }], auth: 'jwt', logStream });
  try {
    const token = await svc.token('someone');
    const response = await fetch(`${svc.baseUrl}/domains/logs?access_token=${token}&x=1`);
    assert.equal(response.status, 401);
    await response.arrayBuffer();
    const elsewhere = await fetch(`${svc.origin}/nowhere?access_token=${token}`);
    assert.equal(elsewhere.status, 401);
    assert.ok(!(await elsewhere.text()).includes(token));
  } finally {
    await svc.close();
  }
  assert.match(logs, /"url":"\/pseudo\/v1\/domains\/logs\?\[redacted\]"/);
  assert.ok(!logs.includes('access_token'), 'the query string is in the logs');
});
