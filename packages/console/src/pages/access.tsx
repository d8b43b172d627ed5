/**
 * Access: the principals (add, revoke, reinstate), client certificates (revoke by fingerprint)
 * and the access matrix principal × domain × operation. Every change is an admin API call,
 * audited like any other.
 */
import { useState } from 'preact/hooks';
import { getJson, postJson } from '../api.js';
import type { AccessGrants, Principal } from '../types.js';
import { ErrorText, Outcome, Section, formatTime, useAction, useLoad } from '../ui.js';
import { AccessMatrix } from './access-matrix.js';

function PrincipalTable({ principals, onChanged }: { principals: Principal[]; onChanged: () => void }) {
  const action = useAction();
  const act = (verb: 'revoke' | 'reinstate', id: string): Promise<void> =>
    action.run(async () => {
      await postJson(`/admin/v1/principals/${verb}`, { id });
      onChanged();
      return verb === 'revoke' ? `${id} is revoked: refused from its next request.` : `${id} may act again.`;
    });
  return (
    <>
      <table>
        <caption>Registered principals</caption>
        <thead>
          <tr>
            <th scope="col">Principal</th>
            <th scope="col">Description</th>
            <th scope="col">Groups</th>
            <th scope="col">Registered</th>
            <th scope="col">State</th>
            <th scope="col">Action</th>
          </tr>
        </thead>
        <tbody>
          {principals.map((p) => (
            <tr key={p.id}>
              <th scope="row">{p.id}</th>
              <td>{p.description}</td>
              <td>{p.groups.join(', ')}</td>
              <td>{formatTime(p.createdAt)}</td>
              <td>{p.revokedAt === undefined ? 'active' : `revoked ${formatTime(p.revokedAt)}`}</td>
              <td>
                {p.revokedAt === undefined ? (
                  <button type="button" disabled={action.busy} onClick={() => void act('revoke', p.id)}>
                    Revoke {p.id}
                  </button>
                ) : (
                  <button type="button" disabled={action.busy} onClick={() => void act('reinstate', p.id)}>
                    Reinstate {p.id}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Outcome action={action} />
    </>
  );
}

function AddPrincipal({ onAdded }: { onAdded: () => void }) {
  const [id, setId] = useState('');
  const [description, setDescription] = useState('');
  const [groups, setGroups] = useState('');
  const action = useAction();
  const submit = (e: Event): void => {
    e.preventDefault();
    void action.run(async () => {
      const list = groups
        .split(',')
        .map((g) => g.trim())
        .filter((g) => g !== '');
      await postJson('/admin/v1/principals', { id, description, groups: list });
      setId('');
      setDescription('');
      setGroups('');
      onAdded();
      return `Principal ${id} saved.`;
    });
  };
  return (
    <form onSubmit={submit} class="stack">
      <label for="principal-id">Principal id</label>
      <input id="principal-id" required value={id} onInput={(e) => setId((e.target as HTMLInputElement).value)} />
      <label for="principal-description">Description</label>
      <input
        id="principal-description"
        value={description}
        onInput={(e) => setDescription((e.target as HTMLInputElement).value)}
      />
      <label for="principal-groups">Groups (comma-separated)</label>
      <input id="principal-groups" value={groups} onInput={(e) => setGroups((e.target as HTMLInputElement).value)} />
      <button type="submit" disabled={action.busy}>
        Save principal
      </button>
      <Outcome action={action} />
    </form>
  );
}

function RevokeCertificate() {
  const [fingerprint, setFingerprint] = useState('');
  const action = useAction();
  const submit = (e: Event): void => {
    e.preventDefault();
    void action.run(async () => {
      const { revoked } = await postJson<{ revoked: boolean }>('/admin/v1/certificates/revoke', { fingerprint });
      setFingerprint('');
      return revoked ? 'Certificate revoked.' : 'That certificate was revoked already.';
    });
  };
  return (
    <form onSubmit={submit} class="stack">
      <label for="certificate-fingerprint">SHA-256 fingerprint of the client certificate</label>
      <input
        id="certificate-fingerprint"
        required
        value={fingerprint}
        onInput={(e) => setFingerprint((e.target as HTMLInputElement).value)}
      />
      <button type="submit" disabled={action.busy}>
        Revoke certificate
      </button>
      <Outcome action={action} />
    </form>
  );
}

function Matrices(props: { access: AccessGrants; principals: Principal[]; onChanged: () => void }) {
  const domains = Object.keys(props.access.effective);
  const [chosen, setChosen] = useState<string | undefined>(undefined);
  const domain = chosen !== undefined && domains.includes(chosen) ? chosen : domains[0];
  return (
    <>
      <table>
        <caption>Who can identify, per domain</caption>
        <tbody>
          {domains.map((d) => (
            <tr key={d}>
              <th scope="row">{d}</th>
              <td>{(props.access.effective[d]?.identify ?? []).join(', ') || 'nobody'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <label for="matrix-domain" class="before-control">
        Domain of the matrix
      </label>
      <select id="matrix-domain" value={domain} onChange={(e) => setChosen((e.target as HTMLSelectElement).value)}>
        {domains.map((d) => (
          <option key={d} value={d}>
            {d}
          </option>
        ))}
      </select>
      {domain !== undefined && (
        <AccessMatrix domain={domain} access={props.access} principals={props.principals} onChanged={props.onChanged} />
      )}
    </>
  );
}

export function AccessPage() {
  const principals = useLoad(() => getJson<{ principals: Principal[] }>('/admin/v1/principals'));
  const access = useLoad(() => getJson<AccessGrants>('/admin/v1/accessGrants'));
  const reload = (): void => (principals.reload(), access.reload());
  const list = principals.data?.principals ?? [];
  return (
    <>
      <h1>Access</h1>
      <Section title="Access matrix">
        <ErrorText error={access.error} />
        {access.data !== undefined && <Matrices access={access.data} principals={list} onChanged={reload} />}
      </Section>
      <Section title="Principals">
        <ErrorText error={principals.error} />
        <PrincipalTable principals={list} onChanged={reload} />
      </Section>
      <Section title="Add or update a principal">
        <AddPrincipal onAdded={reload} />
      </Section>
      <Section title="Revoke a client certificate">
        <RevokeCertificate />
      </Section>
    </>
  );
}
