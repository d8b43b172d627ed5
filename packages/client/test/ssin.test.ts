import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClientErrorCodes, formatSsin, isSsinBornFrom2000, isValidSsin, normalizeSsin } from '../src/index.js';

test('accepts SSINs with a right mod-97 checksum, with or without separators', () => {
  for (const ssin of ['85073003328', '85.07.30-033.28', '85 07 30 033 28', '01010100126', '01010100194']) {
    assert.equal(isValidSsin(ssin), true, ssin);
  }
  assert.equal(normalizeSsin('85.07.30-033.28'), '85073003328');
  assert.equal(formatSsin('85073003328'), '85.07.30-033.28');
});

test('applies the born-in-2000-or-later rule (2 prefixed to the first nine digits)', () => {
  assert.equal(isSsinBornFrom2000('01010100126'), true);
  assert.equal(isSsinBornFrom2000('01010100194'), false);
  assert.equal(isSsinBornFrom2000('85073003328'), false);
});

test('accepts bis numbers (month + 20 or + 40)', () => {
  // 85 27 30 033 → 97 − (852730033 mod 97)
  const body = 852730033;
  const check = String(97 - (body % 97)).padStart(2, '0');
  assert.equal(isValidSsin(`${body}${check}`), true);
});

test('rejects typos before any call, with ERR_CLIENT_INVALID_SSIN', () => {
  const typos = [
    '85073003329',
    '85073003382',
    '8507300332',
    '850730033280',
    '8507300332a',
    '85130103328',
    '',
    '85073203328',
  ];
  for (const typo of typos) {
    assert.equal(isValidSsin(typo), false, typo);
    assert.throws(() => normalizeSsin(typo), { code: ClientErrorCodes.INVALID_SSIN });
  }
  assert.throws(() => normalizeSsin(85073003328 as unknown as string), TypeError);
});
