/**
 * Which of a domain's recipients an owner key is: the secret keys of a domain are wrapped for
 * each owner key under its `kid`, and a key file (PEM, PKCS#12) carries no kid. The key is tried
 * on each recipient listed for the owner's JWKS URL (one RSA-OAEP decryption each); the kid is
 * inferred when exactly one matches, and the error lists the recipients when none does.
 */
import type { DomainDocument } from '@blindpseudo/client';
import { fromBase64Url } from '@blindpseudo/core';
import type { OwnerKey } from '@blindpseudo/owner';
import { ResearchError, ResearchErrorCodes } from './errors.js';

interface Recipient {
  readonly jku: string | undefined;
  readonly kid: string | undefined;
  readonly encryptedKey: string | undefined;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function recipientsOf(document: DomainDocument): Recipient[] {
  return document.secretKeys.flatMap((secretKey) => {
    const list = record(secretKey.encoded)?.['recipients'];
    return (Array.isArray(list) ? list : []).map((r): Recipient => {
      const header = record(record(r)?.['header']);
      const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
      return {
        jku: text(header?.['jku']),
        kid: text(header?.['kid']),
        encryptedKey: text(record(r)?.['encrypted_key']),
      };
    });
  });
}

async function opens(key: OwnerKey, encryptedKey: string): Promise<boolean> {
  try {
    const data = Uint8Array.from(fromBase64Url(encryptedKey, 'encrypted_key'));
    await globalThis.crypto.subtle.decrypt({ name: 'RSA-OAEP' }, key.decryptionKey, data);
    return true;
  } catch {
    return false;
  }
}

/** The kid of the recipients for `jku` that `key` opens; throws when none or several do. */
export async function inferOwnerKid(document: DomainDocument, jku: string, key: OwnerKey): Promise<string> {
  const all = recipientsOf(document);
  const ours = all.filter((r) => r.jku === jku && r.kid !== undefined);
  const matching = new Set<string>();
  for (const r of ours) {
    if (!matching.has(r.kid!) && r.encryptedKey !== undefined && (await opens(key, r.encryptedKey)))
      matching.add(r.kid!);
  }
  if (matching.size === 1) return [...matching][0]!;
  const kids = [...new Set(ours.map((r) => r.kid!))];
  const others = [...new Set(all.filter((r) => r.jku !== jku).map((r) => r.jku ?? '(no jku)'))];
  if (matching.size > 1) {
    throw new ResearchError(
      ResearchErrorCodes.INVALID_INPUT,
      `the owner key opens the recipients ${[...matching].join(', ')} of ${document.domain}: give --owner-kid`,
    );
  }
  throw new ResearchError(
    ResearchErrorCodes.INVALID_INPUT,
    `the owner key is none of the recipients of ${document.domain} for ${jku}` +
      (kids.length === 0 ? ' (there are none)' : ` (their kids: ${kids.join(', ')})`) +
      (others.length === 0 ? '' : `; the domain also has recipients for ${others.join(', ')}`),
  );
}
