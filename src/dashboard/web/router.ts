/**
 * Path routing under /dashboard/ with the history API, and the query string as page state (filters,
 * sort, page), so every view has a URL that can be reloaded, shared and gone back to.
 */
import { useCallback, useSyncExternalStore } from 'react';

export const BASE = '/dashboard';
/** Query keys that belong to the host, kept through every navigation. */
const STICKY = ['theme', 'host'];

const listeners = new Set<() => void>();
function notify(): void {
  for (const l of listeners) l();
}
window.addEventListener('popstate', notify);

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** The path after /dashboard and the query string. */
export function useLocation(): { path: string; search: string } {
  const href = useSyncExternalStore(subscribe, () => window.location.pathname + window.location.search);
  const url = new URL(href, window.location.origin);
  const path = url.pathname.startsWith(BASE) ? url.pathname.slice(BASE.length) || '/' : '/';
  return { path, search: url.search };
}

function withSticky(params: URLSearchParams): URLSearchParams {
  const current = new URLSearchParams(window.location.search);
  for (const key of STICKY) {
    const v = current.get(key);
    if (v !== null && !params.has(key)) params.set(key, v);
  }
  return params;
}

/** Goes to a page of the dashboard (a path under /dashboard), keeping the host's query keys. */
export function navigate(path: string, params: URLSearchParams = new URLSearchParams()): void {
  const q = withSticky(params).toString();
  window.history.pushState(null, '', `${BASE}${path}${q ? `?${q}` : ''}`);
  notify();
}

/** The query string as state: read a key, or change several (empty values are removed). */
export function useQueryState(): [URLSearchParams, (patch: Record<string, string | null>) => void] {
  const { path, search } = useLocation();
  const params = new URLSearchParams(search);
  const update = useCallback(
    (patch: Record<string, string | null>) => {
      const next = new URLSearchParams(window.location.search);
      for (const [k, v] of Object.entries(patch)) {
        if (v === null || v === '') next.delete(k);
        else next.set(k, v);
      }
      navigate(path, next);
    },
    [path],
  );
  return [params, update];
}
