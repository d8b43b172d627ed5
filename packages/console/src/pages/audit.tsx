/**
 * Audit: search the hash-chained log by time, principal, domain, operation and outcome; page
 * through; verify the whole chain (findings name the records where it breaks, each one a link to
 * those records); export the matching records as NDJSON with their hashes.
 */
import { useState } from 'preact/hooks';
import { getJson, query, request } from '../api.js';
import type { AuditPage as Page, AuditVerification } from '../types.js';
import { ErrorText, Outcome, Section, describeError, formatTime, useAction } from '../ui.js';

interface Filter {
  from: string;
  to: string;
  principal: string;
  domain: string;
  operation: string;
  outcome: string;
}
const EMPTY: Filter = { from: '', to: '', principal: '', domain: '', operation: '', outcome: '' };
const PAGE_SIZE = 25;

/** datetime-local values are local times: the service takes instants. */
const instant = (local: string): string | undefined => (local === '' ? undefined : new Date(local).toISOString());
const filterQuery = (f: Filter) => ({ ...f, from: instant(f.from), to: instant(f.to) });

function FilterForm({ onSearch }: { onSearch: (f: Filter) => void }) {
  const [f, setF] = useState<Filter>(EMPTY);
  const field = (name: keyof Filter, label: string, type = 'text') => (
    <div class="field">
      <label for={`audit-${name}`}>{label}</label>
      <input
        id={`audit-${name}`}
        type={type}
        value={f[name]}
        onInput={(e) => setF({ ...f, [name]: (e.target as HTMLInputElement).value })}
      />
    </div>
  );
  return (
    <form
      class="filters"
      onSubmit={(e) => {
        e.preventDefault();
        onSearch(f);
      }}
    >
      {field('from', 'From (local time)', 'datetime-local')}
      {field('to', 'To (local time)', 'datetime-local')}
      {field('principal', 'Principal')}
      {field('domain', 'Domain')}
      {field('operation', 'Operation')}
      <div class="field">
        <label for="audit-outcome">Outcome</label>
        <select
          id="audit-outcome"
          value={f.outcome}
          onChange={(e) => setF({ ...f, outcome: (e.target as HTMLSelectElement).value })}
        >
          <option value="">any</option>
          <option value="success">success</option>
          <option value="failure">any failure</option>
          <option value="missingPermission">missingPermission</option>
          <option value="tooManyRequests">tooManyRequests</option>
          <option value="invalidAccessToken">invalidAccessToken</option>
        </select>
      </div>
      <button type="submit">Search</button>
    </form>
  );
}

function Records({ page }: { page: Page }) {
  if (page.records.length === 0) return <p>No record matches.</p>;
  return (
    <table class="audit">
      <caption>Audit records (no values, points or transitInfo are ever recorded)</caption>
      <thead>
        <tr>
          {['Seq', 'Time', 'Principal', 'Operation', 'Domain', 'Items', 'Status', 'Outcome', 'Hash'].map((h) => (
            <th scope="col" key={h}>
              {h}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {page.records.map((r) => (
          <tr key={r.seq}>
            <td>{r.seq}</td>
            <td>{formatTime(r.time)}</td>
            <td>{r.principal ?? '—'}</td>
            <td>{r.operation}</td>
            <td>{r.toDomainKey === null ? (r.domainKey ?? '—') : `${r.domainKey} → ${r.toDomainKey}`}</td>
            <td>{r.items}</td>
            <td>{r.status}</td>
            <td class={r.outcome === 'success' ? '' : 'error'}>{r.outcome}</td>
            <td>
              <code title={r.hash}>{r.hash.slice(0, 12)}…</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Verify({ onShow }: { onShow: (seq: number) => void }) {
  const [result, setResult] = useState<AuditVerification | undefined>(undefined);
  const action = useAction();
  const verify = (): Promise<void> =>
    action.run(async () => {
      const v = await getJson<AuditVerification>('/admin/v1/audit/verify');
      setResult(v);
      if (!v.ok) throw new Error(`The chain is broken: ${v.findings.length} finding(s).`);
      return `The chain is intact: ${v.records} records.`;
    });
  return (
    <Section title="Verify the chain">
      <button type="button" disabled={action.busy} onClick={() => void verify()}>
        Verify the audit chain
      </button>
      <Outcome action={action} />
      {result !== undefined && (
        <div class={result.ok ? 'verified ok' : 'verified broken'}>
          <p>
            Head: record {result.head?.seq ?? 0}, hash <code>{result.head?.hash ?? '—'}</code> (copy it out to anchor
            the log elsewhere).
          </p>
          {result.findings.length > 0 && (
            <ul aria-label="Where the chain breaks">
              {result.findings.map((f) => {
                const seq = Number(/record (\d+)/.exec(f)?.[1] ?? '0');
                return (
                  <li key={f}>
                    {f}{' '}
                    <button type="button" onClick={() => onShow(seq)}>
                      Show records from {Math.max(1, seq - 2)}
                    </button>
                  </li>
                );
              })}
            </ul>
          )}
        </div>
      )}
    </Section>
  );
}

async function download(filter: Filter): Promise<string> {
  const res = await request(`/admin/v1/audit/export${query(filterQuery(filter))}`, { accept: 'application/x-ndjson' });
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = `audit-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.ndjson`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return `Exported ${(await blob.text()).split('\n').filter((l) => l !== '').length} records.`;
}

export function AuditPage() {
  const [filter, setFilter] = useState<Filter>(EMPTY);
  const [cursors, setCursors] = useState<number[]>([0]);
  const [page, setPage] = useState<Page | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const exporting = useAction();
  const load = async (f: Filter, after: number, trail: number[]): Promise<void> => {
    try {
      const p = await getJson<Page>(`/admin/v1/audit${query({ ...filterQuery(f), after, limit: PAGE_SIZE })}`);
      setFilter(f);
      setCursors(trail);
      setPage(p);
      setError(undefined);
    } catch (e) {
      setError(describeError(e));
    }
  };
  const after = cursors[cursors.length - 1] ?? 0;
  return (
    <>
      <h1>Audit</h1>
      <Section title="Search">
        <FilterForm onSearch={(f) => void load(f, 0, [0])} />
        <ErrorText error={error} />
        {page !== undefined && (
          <>
            <p>
              Page {cursors.length}, after record {after}; the log has {page.head?.seq ?? 0} records.
            </p>
            <Records page={page} />
            <div class="pager">
              <button
                type="button"
                disabled={cursors.length < 2}
                onClick={() => void load(filter, cursors[cursors.length - 2] ?? 0, cursors.slice(0, -1))}
              >
                Previous page
              </button>
              <button
                type="button"
                disabled={page.next === undefined}
                onClick={() => void load(filter, page.next!, [...cursors, page.next!])}
              >
                Next page
              </button>
              <button
                type="button"
                disabled={exporting.busy}
                onClick={() => void exporting.run(() => download(filter))}
              >
                Export matching records (NDJSON)
              </button>
            </div>
            <Outcome action={exporting} />
          </>
        )}
      </Section>
      <Verify onShow={(seq) => void load(EMPTY, Math.max(0, seq - 3), [Math.max(0, seq - 3)])} />
    </>
  );
}
