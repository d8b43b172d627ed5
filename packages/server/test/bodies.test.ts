/**
 * Request bodies: every per-item rule answers the same problem in a single call and in each item
 * of a `*Multiple` call (one item check serves both), and bodies are strictly JSON in UTF-8: bad
 * bytes, a charset other than UTF-8 and a content encoding are refused with problems.
 */
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { blind, encodeValue, pointToJson } from '@blindpseudo/core';
import { type TestService, startTestService } from '../src/testing.js';
import { type Answer, assertProblem, call, makeOwner, pseudonymize, url } from './helpers.js';

type Item = Record<string, unknown>;

/** The item's label (`body`, `inputs[0]`) taken out, so that both forms can be compared. */
const unlabelled = (detail: string): string => detail.replace(/^(body|inputs\[\d+\])/, '<item>');

async function send(
  target: string,
  body: Uint8Array | string,
  headers: Record<string, string>,
): Promise<{ status: number; contentType: string; body: Record<string, unknown> }> {
  // A Buffer is a valid fetch body; the DOM typings only miss its ArrayBufferLike.
  const response = await fetch(target, { method: 'POST', body: body as Uint8Array<ArrayBuffer>, headers });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: JSON.parse(text) };
}

describe('request bodies', () => {
  let svc: TestService;
  let good: Item;
  let transitInfo: string;

  before(async () => {
    const owner = await makeOwner('bodies');
    svc = await startTestService({
      domains: [
        { key: 'body_a', owners: [owner.owner] },
        { key: 'body_b', owners: [owner.owner] },
      ],
    });
    good = { crv: 'P-521', ...pointToJson((await blind(encodeValue('v'))).point) };
    transitInfo = (await pseudonymize(svc, 'body_a', 'v')).transitInfo;
  });
  after(() => svc.close());

  /** Operation path (single, Multiple), and a valid item for it. */
  const operations = (): { name: string; single: string; multiple: string; item: Item }[] => [
    { name: 'pseudonymize', single: 'body_a/pseudonymize', multiple: 'body_a/pseudonymizeMultiple', item: good },
    {
      name: 'identify',
      single: 'body_a/identify',
      multiple: 'body_a/identifyMultiple',
      item: { ...good, transitInfo },
    },
    {
      name: 'convert',
      single: 'body_a/convertTo/body_b',
      multiple: 'body_a/convertMultipleTo/body_b',
      item: { ...good, transitInfo },
    },
  ];

  /** Each per-item rule: which operations it applies to, the bad item, what the detail names. */
  const rules: { rule: string; ops: string[]; bad: (item: Item) => unknown; detail: RegExp }[] = [
    { rule: 'item not an object', ops: ['pseudonymize', 'identify', 'convert'], bad: () => 7, detail: /object/ },
    { rule: 'id not a string', ops: ['pseudonymize', 'identify'], bad: (i) => ({ ...i, id: 5 }), detail: /id/ },
    {
      rule: 'id over 200 characters',
      ops: ['pseudonymize', 'convert'],
      bad: (i) => ({ ...i, id: 'i'.repeat(201) }),
      detail: /id.*200/,
    },
    { rule: 'crv missing', ops: ['pseudonymize', 'identify'], bad: ({ crv: _, ...i }) => i, detail: /crv/ },
    { rule: 'crv not P-521', ops: ['pseudonymize', 'convert'], bad: (i) => ({ ...i, crv: 'P-256' }), detail: /crv/ },
    { rule: 'x missing', ops: ['pseudonymize', 'identify'], bad: ({ x: _, ...i }) => i, detail: /x/ },
    { rule: 'y not a string', ops: ['pseudonymize', 'convert'], bad: (i) => ({ ...i, y: 12 }), detail: /y/ },
    {
      rule: 'x over 88 characters',
      ops: ['pseudonymize', 'identify', 'convert'],
      bad: (i) => ({ ...i, x: 'A'.repeat(92) }),
      detail: /x.*88/,
    },
    { rule: 'x not Base64', ops: ['pseudonymize', 'identify'], bad: (i) => ({ ...i, x: '!!!!' }), detail: /x/ },
    {
      rule: 'transitInfo missing',
      ops: ['identify'],
      bad: ({ transitInfo: _, ...i }) => i,
      detail: /transitInfo/,
    },
    {
      rule: 'transitInfo not a string',
      ops: ['identify', 'convert'],
      bad: (i) => ({ ...i, transitInfo: 7 }),
      detail: /transitInfo/,
    },
    {
      rule: 'transitInfo empty',
      ops: ['identify', 'convert'],
      bad: (i) => ({ ...i, transitInfo: '' }),
      detail: /transitInfo/,
    },
    {
      rule: 'transitInfo over 8,192 characters',
      ops: ['identify', 'convert'],
      bad: (i) => ({ ...i, transitInfo: `${transitInfo}${'A'.repeat(8200)}` }),
      detail: /transitInfo.*8192/,
    },
  ];

  for (const { rule, ops, bad, detail } of rules) {
    it(`${rule}: the same problem singly and in a Multiple call (${ops.join(', ')})`, async () => {
      for (const op of operations().filter((o) => ops.includes(o.name))) {
        const badItem = bad(op.item);
        const single = await call(url(svc, op.single), badItem);
        assertProblem(single, 400, 'badRequest');
        assert.match(single.body.detail, detail, `${op.single}: ${single.body.detail}`);
        // As an object and as a JSON string holding it, between two good items.
        const forms = typeof badItem === 'object' ? [badItem, JSON.stringify(badItem)] : [badItem];
        for (const form of forms) {
          const multiple = await call(url(svc, op.multiple), { inputs: [op.item, form, op.item] });
          assert.equal(multiple.status, 200, JSON.stringify(multiple.body));
          const outputs = multiple.body.outputs as Item[];
          assert.deepEqual(
            outputs.map((o) => o.status),
            [undefined, 400, undefined],
            `${op.multiple}: ${JSON.stringify(outputs[1])}`,
          );
          assert.equal(outputs[1]!.type, 'urn:problem-type:belgif:badRequest');
          assert.equal(unlabelled(outputs[1]!.detail as string), unlabelled(single.body.detail), op.multiple);
        }
      }
    });
  }

  it('bytes that are not UTF-8 inside a JSON body are refused (400 problem)', async () => {
    const json = JSON.stringify({ ...good, id: 'ID' });
    const at = json.indexOf('ID');
    const bytes = Buffer.concat([
      Buffer.from(json.slice(0, at)),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(json.slice(at + 2)),
    ]);
    const answer = await send(url(svc, 'body_a/pseudonymize'), bytes, { 'content-type': 'application/json' });
    assertProblem(answer, 400, 'badRequest');
    assert.match(answer.body.detail as string, /UTF-8/);
    const multiple = await send(
      url(svc, 'body_a/pseudonymizeMultiple'),
      Buffer.concat([Buffer.from('{"inputs":['), bytes, Buffer.from(']}')]),
      { 'content-type': 'application/json' },
    );
    assertProblem(multiple, 400, 'badRequest');
  });

  it('a charset other than UTF-8 is refused (415 problem); utf-8 in any spelling is accepted', async () => {
    const json = JSON.stringify(good);
    for (const charset of ['utf-16', 'UTF-16LE', 'iso-8859-1', 'us-ascii']) {
      const body = charset.toLowerCase().startsWith('utf-16') ? Buffer.from(json, 'utf16le') : json;
      const answer = await send(url(svc, 'body_a/pseudonymize'), body, {
        'content-type': `application/json; charset=${charset}`,
      });
      assertProblem(answer, 415, 'unsupportedMediaType');
      assert.match(answer.body.detail as string, /UTF-8/);
    }
    for (const contentType of ['application/json; charset=utf-8', 'application/json;charset="UTF-8"']) {
      const answer = await send(url(svc, 'body_a/pseudonymize'), json, { 'content-type': contentType });
      assert.equal(answer.status, 200, `${contentType}: ${JSON.stringify(answer.body)}`);
    }
  });

  it('a body with a content encoding is refused (415 problem); identity is no encoding', async () => {
    const json = JSON.stringify(good);
    const cases: [string, Uint8Array | string][] = [
      ['gzip', json],
      ['gzip', gzipSync(json)],
      ['deflate', json],
      ['br', json],
      ['gzip, identity', json],
    ];
    for (const [encoding, body] of cases) {
      const answer = await send(url(svc, 'body_a/pseudonymize'), body, {
        'content-type': 'application/json',
        'content-encoding': encoding,
      });
      assertProblem(answer, 415, 'unsupportedMediaType');
      assert.match(answer.body.detail as string, /encoding/);
    }
    const identity = await send(url(svc, 'body_a/pseudonymize'), json, {
      'content-type': 'application/json',
      'content-encoding': 'identity',
    });
    assert.equal(identity.status, 200, JSON.stringify(identity.body));
  });

  it('a JSON body that poisons prototypes is still refused (400 problem)', async () => {
    const answer: Answer = await call(url(svc, 'body_a/pseudonymize'), undefined, {
      raw: `{"crv":"P-521","x":"${good.x}","y":"${good.y}","__proto__":{"admin":true}}`,
    });
    assertProblem(answer, 400, 'badRequest');
  });
});
