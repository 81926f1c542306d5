/** Value comparison between a row as read back and a row about to be written. */

function canonical(value: unknown): string {
  if (value === undefined) return 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * True when every column of `wanted` already holds that value in `existing`. NUMERIC columns come
 * back from both drivers as strings ("0.70"), so numbers compare by value; JSONB compares without
 * regard to key order, which Postgres does not keep.
 */
export function rowMatches(existing: Record<string, unknown>, wanted: Record<string, unknown>): boolean {
  return Object.entries(wanted).every(([column, want]) => {
    const have = existing[column];
    if (typeof want === 'number' && have !== null && have !== undefined) return Number(have) === want;
    // JSONB arrays are written as JSON text (toJsonb) but read back parsed.
    if (typeof want === 'string' && have !== null && typeof have === 'object' && !(have instanceof Date)) return canonical(have) === canonical(JSON.parse(want));
    return canonical(have ?? null) === canonical(want ?? null);
  });
}
