/** Small shared pieces: loading data with its error, an action button's state, messages. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from './api.js';

export function describeError(err: unknown): string {
  if (err instanceof ApiError) return `${err.title}${err.message === '' ? '' : `: ${err.message}`}`;
  return err instanceof Error ? err.message : 'something went wrong';
}

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  reload: () => void;
}

/** Runs `load` now, again when `deps` change and on reload(). */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[] = []): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (d) => live && (setData(d), setError(undefined)),
      (e: unknown) => live && setError(describeError(e)),
    );
    return () => {
      live = false;
    };
  }, [round, ...deps]);
  return { data, error, reload: useCallback(() => setRound((r) => r + 1), []) };
}

export interface Action {
  busy: boolean;
  message: string | undefined;
  error: string | undefined;
  run: (work: () => Promise<string | undefined>) => Promise<void>;
}

/** An operator action: busy while it runs, then a status message or the error. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const run = async (work: () => Promise<string | undefined>): Promise<void> => {
    setBusy(true);
    setError(undefined);
    setMessage(undefined);
    try {
      setMessage(await work());
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return { busy, message, error, run };
}

/** The outcome of an action, announced to screen readers. */
export function Outcome({ action }: { action: Pick<Action, 'message' | 'error'> }) {
  return (
    <div class="outcome" role="status" aria-live="polite">
      {action.error !== undefined && <p class="error">{action.error}</p>}
      {action.message !== undefined && <p class="ok">{action.message}</p>}
    </div>
  );
}

export function ErrorText({ error }: { error: string | undefined }) {
  return error === undefined ? null : (
    <p class="error" role="alert">
      {error}
    </p>
  );
}

export function Section({ title, children, id }: { title: string; children: ComponentChildren; id?: string }) {
  const headingId = `${id ?? title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-heading`;
  return (
    <section aria-labelledby={headingId}>
      <h2 id={headingId}>{title}</h2>
      {children}
    </section>
  );
}

export const formatTime = (ms: number | undefined): string =>
  ms === undefined ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
