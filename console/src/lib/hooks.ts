import { useCallback, useEffect, useRef, useState } from 'react';
import type { Page } from '../../../src/sdk/types.js';
import type { ListArgs } from './api.js';

export interface Loaded<T> { data: T | undefined; error: unknown; loading: boolean; reload: () => void }

/** Runs `load` when `deps` change (and on reload); optionally again every `pollMs` while `keepPolling(data)`. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], opts: { pollMs?: number; keepPolling?: (d: T) => boolean } = {}): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const optsRef = useRef(opts);
  optsRef.current = opts;
  useEffect(() => {
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const data = await loadRef.current();
        if (!alive) return;
        setState({ data, error: undefined, loading: false });
        const { pollMs, keepPolling } = optsRef.current;
        if (pollMs && (!keepPolling || keepPolling(data))) timer = setTimeout(run, pollMs);
      } catch (error) {
        if (!alive) return;
        setState((s) => ({ data: s.data, error, loading: false }));
        const { pollMs } = optsRef.current;
        // Keep trying while polling (a restart of the server should not freeze the page).
        if (pollMs) timer = setTimeout(run, pollMs * 3);
      }
    };
    setState((s) => ({ ...s, loading: true }));
    void run();
    return () => {
      alive = false;
      if (timer) clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** A paginated list following the API's `nextToken`: first page, then "Load more". */
export function usePaged<T>(fetchPage: (a: ListArgs) => Promise<Page<T>>, deps: unknown[], pageSize = 25) {
  const [items, setItems] = useState<T[]>([]);
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;
  useEffect(() => {
    let alive = true;
    setLoading(true);
    fetchRef.current({ limit: pageSize }).then(
      (p) => {
        if (!alive) return;
        setItems(p.items);
        setNext(p.nextToken);
        setError(undefined);
        setLoading(false);
      },
      (e) => {
        if (!alive) return;
        setError(e);
        setLoading(false);
      },
    );
    return () => {
      alive = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick, pageSize]);
  const loadMore = useCallback(async () => {
    if (!next) return;
    setLoading(true);
    try {
      const p = await fetchRef.current({ limit: pageSize, nextToken: next });
      setItems((xs) => [...xs, ...p.items]);
      setNext(p.nextToken);
      setError(undefined);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  }, [next, pageSize]);
  return { items, hasMore: !!next, loadMore, error, loading, reload: useCallback(() => setTick((t) => t + 1), []) };
}
