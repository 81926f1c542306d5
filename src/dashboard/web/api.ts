/**
 * The pages' side of the API: one fetch wrapper that adds the Teams SSO bearer (inside Teams) or
 * relies on the sign-in cookie (outside), and parses every answer with the contract's schema.
 */
import type { ZodType, ZodTypeDef } from 'zod';
import { apiError } from '../contract';

/** An answer that was not 2xx, with the server's message. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiFailure';
  }
}

let tokenSource: () => Promise<string | null> = () => Promise.resolve(null);

/** Set once at start: where bearer tokens come from (Teams SSO) or none. */
export function setTokenSource(source: () => Promise<string | null>): void {
  tokenSource = source;
}

/** Builds a query string from a record, leaving out empty values. */
export function queryString(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Calls the API and parses the answer; throws ApiFailure with the server's message on an error status. */
export async function call<Out>(schema: ZodType<Out, ZodTypeDef, unknown>, path: string, init: { method?: 'GET' | 'POST'; body?: unknown } = {}): Promise<Out> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = await tokenSource();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`/api/dashboard${path}`, {
    method: init.method ?? 'GET',
    headers,
    credentials: 'same-origin',
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const json: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const parsed = apiError.safeParse(json);
    throw new ApiFailure(res.status, parsed.success ? parsed.data.error : `The server answered ${String(res.status)}.`);
  }
  return schema.parse(json);
}

/**
 * Downloads a file from the API (with the same sign-in as every call) and hands it to the browser to
 * save; throws ApiFailure with the server's message on an error status.
 */
export async function download(path: string, fileName: string): Promise<void> {
  const headers: Record<string, string> = {};
  const token = await tokenSource();
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`/api/dashboard${path}`, { headers, credentials: 'same-origin' });
  if (!res.ok) {
    const parsed = apiError.safeParse(await res.json().catch(() => null));
    throw new ApiFailure(res.status, parsed.success ? parsed.data.error : `The server answered ${String(res.status)}.`);
  }
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => { URL.revokeObjectURL(url); }, 10_000);
}
