/**
 * One domain: its document exactly as clients receive it (GET /pseudo/v1/domains/{key}), its
 * transit keys with rotation, and its owners' key sets (kids, last refresh, errors; refresh now).
 */
import { useState } from 'preact/hooks';
import { getJson, postJson } from '../api.js';
import type { DomainSummary, OwnersStatus } from '../types.js';
import { ErrorText, Outcome, Section, formatTime, useAction, useLoad } from '../ui.js';

function TransitKeys({
  domain,
  summary,
  onRotated,
}: {
  domain: string;
  summary: DomainSummary;
  onRotated: () => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const action = useAction();
  const rotate = (): Promise<void> =>
    action.run(async () => {
      const { kid } = await postJson<{ kid: string }>(
        `/admin/v1/domains/${encodeURIComponent(domain)}/rotateTransitKey`,
      );
      setConfirming(false);
      onRotated();
      return `New active transit key: ${kid}. Transits under the previous keys stay readable until they expire.`;
    });
  return (
    <Section title="Transit keys">
      <table>
        <caption>Transit keys of {domain} (no key material)</caption>
        <thead>
          <tr>
            <th scope="col">kid</th>
            <th scope="col">State</th>
            <th scope="col">Deactivated</th>
          </tr>
        </thead>
        <tbody>
          {summary.transitKeys.map((k) => (
            <tr key={k.kid}>
              <td>
                <code>{k.kid}</code>
              </td>
              <td>{k.active ? 'active' : 'retiring'}</td>
              <td>{formatTime(k.deactivatedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {confirming ? (
        <p class="confirm">
          Rotate the transit key of {domain}?{' '}
          <button type="button" disabled={action.busy} onClick={() => void rotate()}>
            Confirm rotation
          </button>{' '}
          <button type="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </p>
      ) : (
        <button type="button" onClick={() => setConfirming(true)}>
          Rotate transit key
        </button>
      )}
      <Outcome action={action} />
    </Section>
  );
}

function Owners({ domain }: { domain: string }) {
  const path = `/admin/v1/domains/${encodeURIComponent(domain)}/owner-jwks`;
  const status = useLoad(() => getJson<OwnersStatus>(path), [domain]);
  const action = useAction();
  const refresh = (): Promise<void> =>
    action.run(async () => {
      const r = await postJson<{ owners: { error?: string }[] }>(`${path}/refresh`);
      status.reload();
      const failed = r.owners.filter((o) => o.error !== undefined).length;
      return failed === 0 ? 'Owners’ keys read again.' : `${failed} owner key set(s) could not be read: see below.`;
    });
  const s = status.data;
  return (
    <Section title="Owners and their keys">
      <ErrorText error={status.error} />
      {s !== undefined && (
        <>
          <p>
            Last refresh:{' '}
            {s.refreshedAt === undefined ? 'not since start (keys read at start)' : formatTime(s.refreshedAt)}; every{' '}
            {Math.round(s.intervalMs / 1000)} s.
          </p>
          {s.owners.length === 0 ? (
            <p>This domain has no owners.</p>
          ) : (
            <table>
              <caption>Owners’ key sets (kids only)</caption>
              <thead>
                <tr>
                  <th scope="col">jku</th>
                  <th scope="col">Read from</th>
                  <th scope="col">kids</th>
                  <th scope="col">Last error</th>
                </tr>
              </thead>
              <tbody>
                {s.owners.map((o) => (
                  <tr key={o.jku}>
                    <td>
                      <code>{o.jku}</code>
                    </td>
                    <td>{o.source}</td>
                    <td>{o.kids.join(', ')}</td>
                    <td class={o.error === undefined ? '' : 'error'}>{o.error ?? 'none'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
      <button type="button" disabled={action.busy} onClick={() => void refresh()}>
        Refresh owners’ keys now
      </button>
      <Outcome action={action} />
    </Section>
  );
}

export function DomainPage({ domain }: { domain: string }) {
  const summary = useLoad(() => getJson<DomainSummary>(`/admin/v1/domains/${encodeURIComponent(domain)}`), [domain]);
  const document = useLoad(() => getJson<object>(`/pseudo/v1/domains/${encodeURIComponent(domain)}`), [domain]);
  const reload = (): void => (summary.reload(), document.reload());
  return (
    <>
      <p>
        <a href="#/domains">All domains</a>
      </p>
      <h1>Domain {domain}</h1>
      <ErrorText error={summary.error} />
      {summary.data !== undefined && <TransitKeys domain={domain} summary={summary.data} onRotated={reload} />}
      <Owners domain={domain} />
      <Section title="Domain document as clients see it">
        <ErrorText error={document.error} />
        {document.data !== undefined && (
          <pre class="document" tabIndex={0} aria-label={`Domain document of ${domain}`}>
            {JSON.stringify(document.data, null, 2)}
          </pre>
        )}
      </Section>
    </>
  );
}
