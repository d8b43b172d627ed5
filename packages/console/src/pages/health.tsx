/**
 * Health and traffic: live charts of items/s per operation, latency percentiles, errors and
 * quota/rate refusals, enumeration alarms (GET /admin/v1/traffic, polled every two seconds), and
 * the health of storage and the key store (GET /admin/v1/health).
 */
import { useEffect, useState } from 'preact/hooks';
import { getJson, query } from '../api.js';
import { LineChart, type Series } from '../chart.js';
import type { Health, OperationTraffic, TrafficSample } from '../types.js';
import { ErrorText, Section, describeError } from '../ui.js';

const POLL_MS = 2000;
const ITEM_OPERATIONS = ['pseudonymize', 'identify', 'convert'];

interface Traffic {
  samples: TrafficSample[];
  error: string | undefined;
}

/** Polls the service's traffic samples (summed over every process and instance by the service). */
function useTraffic(): Traffic {
  const [samples, setSamples] = useState<TrafficSample[]>([]);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    let since = 0;
    let live = true;
    const poll = async (): Promise<void> => {
      try {
        const r = await getJson<{ samples: TrafficSample[] }>(`/admin/v1/traffic${query({ since })}`);
        if (!live) return;
        since = r.samples[r.samples.length - 1]?.time ?? since;
        setSamples((old) => [...old, ...r.samples].slice(-300));
        setError(undefined);
      } catch (e) {
        if (live) setError(describeError(e));
      }
    };
    void poll();
    const timer = setInterval(() => void poll(), POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, []);
  return { samples, error };
}

function series(
  samples: TrafficSample[],
  names: string[],
  value: (o: OperationTraffic | undefined, name: string) => number,
): Series[] {
  return names.map((name) => ({ name, points: samples.map((s) => [s.time, value(s.operations[name], name)]) }));
}

const sum = (s: TrafficSample, f: (o: OperationTraffic) => number): number =>
  Object.values(s.operations).reduce((a, o) => a + f(o), 0);

function Charts({ samples }: { samples: TrafficSample[] }) {
  const slowest = (s: TrafficSample, q: 'p50' | 'p95' | 'p99'): number =>
    Math.max(0, ...Object.values(s.operations).map((o) => (o.latency?.[q] ?? 0) * 1000));
  const totals = (f: (o: OperationTraffic) => number): [number, number][] => samples.map((s) => [s.time, sum(s, f)]);
  return (
    <div class="charts">
      <LineChart
        title="Items per second"
        unit="items/s"
        series={series(samples, ITEM_OPERATIONS, (o) => o?.items ?? 0)}
      />
      <LineChart
        title="Latency percentiles (slowest operation)"
        unit="ms"
        series={(['p50', 'p95', 'p99'] as const).map((q) => ({
          name: q,
          points: samples.map((s) => [s.time, slowest(s, q)]),
        }))}
      />
      <LineChart
        title="Errors and refusals per second"
        unit="/s"
        series={[
          { name: 'errors', points: totals((o) => o.errors) },
          { name: 'quota and rate refusals', points: totals((o) => o.refusals) },
          { name: 'item problems', points: totals((o) => o.itemProblems) },
        ]}
      />
      <LineChart
        title="Enumeration alarms"
        unit="alarms"
        series={[{ name: 'alarms', points: totals((o) => o.alarms) }]}
      />
    </div>
  );
}

function HealthPanel() {
  const [health, setHealth] = useState<Health | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    let live = true;
    const load = (): void =>
      void getJson<Health>('/admin/v1/health').then(
        (h) => live && (setHealth(h), setError(undefined)),
        (e: unknown) => live && setError(describeError(e)),
      );
    load();
    const timer = setInterval(load, 5 * POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, []);
  return (
    <Section title="Storage and key store">
      <ErrorText error={error} />
      {health !== undefined && (
        <dl class="health">
          <dt>Storage ({health.storage.kind})</dt>
          <dd class={health.storage.ok ? 'ok' : 'error'}>
            {health.storage.ok ? `reachable, answered in ${health.storage.pingMs} ms` : health.storage.error}
          </dd>
          <dt>Key store</dt>
          <dd class={health.keystore.ok ? 'ok' : 'error'}>
            {health.keystore.domains} domains, {health.keystore.activeTransitKeys} with an active transit key;
            multiplier {health.keystore.multiplier}
          </dd>
          <dt>Audit log</dt>
          <dd>{health.audit.records} records</dd>
          <dt>Traffic samples</dt>
          <dd class={health.traffic.ok ? 'ok' : 'error'}>
            {health.traffic.ok
              ? 'written to storage every second'
              : `this process could not write its samples (${health.traffic.pending} waiting)`}
          </dd>
        </dl>
      )}
    </Section>
  );
}

export function HealthPage() {
  const { samples, error } = useTraffic();
  const processes = samples[samples.length - 1]?.processes;
  return (
    <>
      <h1>Health and traffic</h1>
      <HealthPanel />
      <Section title="Traffic (last five minutes, one point per second)">
        <ErrorText error={error} />
        {processes !== undefined && (
          <p class="help">
            The whole service: the counts of {processes} {processes === 1 ? 'process' : 'processes'} (workers and
            instances on this storage) summed per second, shown a few seconds behind.
          </p>
        )}
        <Charts samples={samples} />
      </Section>
    </>
  );
}
