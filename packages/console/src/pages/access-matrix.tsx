/**
 * The access matrix of one domain: subjects (principals, groups, everyone) × operations, each
 * cell a checkbox that grants or revokes through the admin API. Cells set in the domain's
 * definition (config file or creation) are shown checked and cannot be changed here. Above it,
 * who can identify in the domain, at a glance.
 */
import { useState } from 'preact/hooks';
import { postJson } from '../api.js';
import { type AccessGrants, OPERATIONS, type Operation, type Principal } from '../types.js';
import { Outcome, useAction } from '../ui.js';

const SUBJECT = /^(\*|principal:.+|group:.+)$/;

function rowsOf(domain: string, access: AccessGrants, principals: Principal[], extra: string[]): string[] {
  const rows = new Set<string>();
  for (const op of OPERATIONS) for (const s of access.effective[domain]?.[op] ?? []) rows.add(s);
  for (const p of principals) if (p.revokedAt === undefined) rows.add(`principal:${p.id}`);
  for (const s of extra) rows.add(s);
  return [...rows].sort();
}

export function WhoCanIdentify({ domain, access }: { domain: string; access: AccessGrants }) {
  const who = access.effective[domain]?.identify ?? [];
  return (
    <p class="glance" id={`identify-${domain}`}>
      <strong>Who can identify in {domain}:</strong> {who.length === 0 ? 'nobody' : who.join(', ')}
    </p>
  );
}

function MatrixRow(props: {
  domain: string;
  subject: string;
  allowed: (s: string, op: Operation) => boolean;
  granted: (s: string, op: Operation) => boolean;
  busy: boolean;
  onToggle: (s: string, op: Operation, on: boolean) => void;
}) {
  const { domain, subject: s } = props;
  return (
    <tr>
      <th scope="row">
        <code>{s}</code>
      </th>
      {OPERATIONS.map((op) => {
        const fixed = props.allowed(s, op) && !props.granted(s, op);
        return (
          <td key={op}>
            <input
              type="checkbox"
              aria-label={`${op} on ${domain} for ${s}`}
              checked={props.allowed(s, op)}
              disabled={fixed || props.busy}
              title={fixed ? 'Set in the domain’s definition (config file): change it there' : undefined}
              onChange={(e) => props.onToggle(s, op, (e.target as HTMLInputElement).checked)}
            />
          </td>
        );
      })}
    </tr>
  );
}

export function AccessMatrix(props: {
  domain: string;
  access: AccessGrants;
  principals: Principal[];
  onChanged: () => void;
}) {
  const { domain, access } = props;
  const [extra, setExtra] = useState<string[]>([]);
  const [subject, setSubject] = useState('');
  const action = useAction();
  const granted = (s: string, op: Operation): boolean =>
    access.grants.some((g) => g.domain === domain && g.subject === s && g.operation === op);
  const allowed = (s: string, op: Operation): boolean => (access.effective[domain]?.[op] ?? []).includes(s);
  const toggle = (s: string, op: Operation, on: boolean): void =>
    void action.run(async () => {
      const body = { domain, operation: op, subject: s };
      await postJson(on ? '/admin/v1/accessGrants' : '/admin/v1/accessGrants/revoke', body);
      props.onChanged();
      return on ? `Granted ${op} on ${domain} to ${s}.` : `Revoked ${op} on ${domain} from ${s}.`;
    });
  const rows = rowsOf(domain, access, props.principals, extra);
  return (
    <div class="matrix">
      <WhoCanIdentify domain={domain} access={access} />
      <table>
        <caption>Access to {domain}: subject × operation</caption>
        <thead>
          <tr>
            <th scope="col">Subject</th>
            {OPERATIONS.map((op) => (
              <th scope="col" key={op}>
                {op}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((s) => (
            <MatrixRow
              key={s}
              domain={domain}
              subject={s}
              allowed={allowed}
              granted={granted}
              busy={action.busy}
              onToggle={toggle}
            />
          ))}
        </tbody>
      </table>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          if (SUBJECT.test(subject)) setExtra([...extra, subject]);
          setSubject('');
        }}
      >
        <label for={`subject-${domain}`}>Add a row (principal:ID, group:NAME or *)</label>
        <input
          id={`subject-${domain}`}
          pattern="\*|principal:.+|group:.+"
          value={subject}
          onInput={(e) => setSubject((e.target as HTMLInputElement).value)}
        />
        <button type="submit">Add row</button>
      </form>
      <Outcome action={action} />
    </div>
  );
}
