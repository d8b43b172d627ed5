/** Domains: every domain with its active transit key and who may identify in it; create one. */
import { useState } from 'preact/hooks';
import { getJson, postJson } from '../api.js';
import type { DomainSummary } from '../types.js';
import { ErrorText, Outcome, Section, useAction, useLoad } from '../ui.js';

function subjects(list: string[] | undefined): string {
  return list === undefined || list.length === 0 ? 'nobody' : list.join(', ');
}

function DomainTable({ domains }: { domains: DomainSummary[] }) {
  return (
    <table>
      <caption>Domains of this service</caption>
      <thead>
        <tr>
          <th scope="col">Domain</th>
          <th scope="col">Description</th>
          <th scope="col">Active transit key</th>
          <th scope="col">Owners</th>
          <th scope="col">Who can identify</th>
        </tr>
      </thead>
      <tbody>
        {domains.map((d) => (
          <tr key={d.domain}>
            <th scope="row">
              <a href={`#/domains/${encodeURIComponent(d.domain)}`}>{d.domain}</a>
            </th>
            <td>{d.description}</td>
            <td>
              <code>{d.transitKeys.find((k) => k.active)?.kid ?? 'none'}</code>
            </td>
            <td>{d.jku.length}</td>
            <td>{subjects(d.accessRule.identify)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Owners are given as JSON: [{"jku": "...", "jwks": {...}}] (or jku alone, fetched by the service). */
function parseOwners(text: string): unknown[] {
  if (text.trim() === '') return [];
  let owners: unknown;
  try {
    owners = JSON.parse(text);
  } catch {
    throw new Error('Owners must be JSON: an array of {"jku": …, "jwks": …}');
  }
  if (!Array.isArray(owners)) throw new Error('Owners must be a JSON array');
  return owners;
}

function CreateDomain({ onCreated }: { onCreated: () => void }) {
  const [key, setKey] = useState('');
  const [description, setDescription] = useState('');
  const [ttl, setTtl] = useState('PT10M');
  const [owners, setOwners] = useState('');
  const action = useAction();
  const submit = (e: Event): void => {
    e.preventDefault();
    void action.run(async () => {
      const body = { key, description, timeToLiveInTransit: ttl, owners: parseOwners(owners) };
      const created = await postJson<DomainSummary>('/admin/v1/domains', body);
      setKey('');
      setDescription('');
      setOwners('');
      onCreated();
      return `Domain ${created.domain} created.`;
    });
  };
  return (
    <form onSubmit={submit} class="stack">
      <label for="new-domain-key">Domain key</label>
      <input
        id="new-domain-key"
        required
        pattern="[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}"
        value={key}
        onInput={(e) => setKey((e.target as HTMLInputElement).value)}
        aria-describedby="new-domain-key-help"
      />
      <p id="new-domain-key-help" class="help">
        Letters, digits, <code>_ . -</code>; a new domain scalar is drawn and never changes.
      </p>
      <label for="new-domain-description">Description</label>
      <input
        id="new-domain-description"
        value={description}
        onInput={(e) => setDescription((e.target as HTMLInputElement).value)}
      />
      <label for="new-domain-ttl">Time to live in transit (ISO-8601 duration)</label>
      <input id="new-domain-ttl" required value={ttl} onInput={(e) => setTtl((e.target as HTMLInputElement).value)} />
      <label for="new-domain-owners">Owners (JSON, optional)</label>
      <textarea
        id="new-domain-owners"
        rows={3}
        value={owners}
        onInput={(e) => setOwners((e.target as HTMLTextAreaElement).value)}
        aria-describedby="new-domain-owners-help"
      />
      <p id="new-domain-owners-help" class="help">
        <code>[{'{"jku": "https://…/jwks.json", "jwks": {"keys": […]}}'}]</code>, or a jku alone for the service to
        fetch.
      </p>
      <button type="submit" disabled={action.busy}>
        Create domain
      </button>
      <Outcome action={action} />
    </form>
  );
}

export function DomainsPage() {
  const domains = useLoad(() => getJson<{ domains: DomainSummary[] }>('/admin/v1/domains'));
  return (
    <>
      <h1>Domains</h1>
      <ErrorText error={domains.error} />
      {domains.data !== undefined && <DomainTable domains={domains.data.domains} />}
      <Section title="Create a domain">
        <CreateDomain onCreated={domains.reload} />
      </Section>
    </>
  );
}
