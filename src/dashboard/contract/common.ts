/**
 * The dashboard's API contract, shared by the server (which parses requests with it) and the pages
 * (which build requests and parse responses with it), so the API is typed end to end.
 */
import { z } from 'zod';

export const PAGE_SIZES = [25, 50, 100] as const;
export type PageSize = (typeof PAGE_SIZES)[number];

/** `page` from 1, `pageSize` one of 25, 50, 100. */
export const paging = {
  page: z.coerce.number().int('page is a whole number').min(1, 'page starts at 1').max(1_000_000).default(1),
  pageSize: z.coerce
    .number()
    .int()
    .refine((v): v is PageSize => (PAGE_SIZES as readonly number[]).includes(v), 'pageSize is 25, 50 or 100')
    .default(25),
};

/** A multi-select filter in the URL: `a,b,c` (empty or absent: no filter). */
export const multi = z
  .string()
  .max(2000)
  .optional()
  .transform((v) => (v ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0));

/** A calendar day, YYYY-MM-DD. */
export const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date is YYYY-MM-DD')
  .refine((v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)), 'not a real date')
  .optional();

/** `field:asc` or `field:desc` over the given fields. */
export function sortOf<const F extends readonly [string, ...string[]]>(fields: F, fallback: `${F[number]}:${'asc' | 'desc'}`) {
  return z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      const [field, dir = 'asc'] = v.split(':');
      if (!(fields as readonly string[]).includes(field ?? '') || (dir !== 'asc' && dir !== 'desc')) {
        ctx.addIssue({ code: 'custom', message: `sort is one of ${fields.join(', ')} with :asc or :desc` });
        return z.NEVER;
      }
      const direction: 'asc' | 'desc' = dir;
      return { field: field as F[number], dir: direction };
    });
}

export const pagedMeta = z.object({ total: z.number().int(), page: z.number().int(), pageSize: z.number().int() });
export type PagedMeta = z.infer<typeof pagedMeta>;

/** Every error body: a message for the person, nothing internal. */
export const apiError = z.object({ error: z.string() });
export type ApiError = z.infer<typeof apiError>;

/**
 * Every page of the dashboard, in navigation order. Compare (prompt versions and replays, from the tuning
 * loop's prompt_version_comparisons) and Best practices (spec 002) are known here but `optional`: the
 * server offers them only once the bot has their data and the page exists (DashboardDeps.optionalPages).
 */
export const PAGE_IDS = ['sessions', 'compare', 'practices', 'training', 'quality', 'jobs'] as const;
export type PageId = (typeof PAGE_IDS)[number];

export interface PageInfo {
  label: string;
  /** Only admins (ADMIN_ALLOWLIST) open it: it shows every tester's data or changes the dataset. */
  adminOnly: boolean;
  /** Offered only when the server turns it on. */
  optional: boolean;
}

export const PAGES = {
  sessions: { label: 'Sessions', adminOnly: false, optional: false },
  compare: { label: 'Compare', adminOnly: false, optional: true },
  practices: { label: 'Best practices', adminOnly: false, optional: true },
  training: { label: 'Training data', adminOnly: true, optional: false },
  quality: { label: 'Quality', adminOnly: true, optional: false },
  jobs: { label: 'Jobs', adminOnly: true, optional: false },
} as const satisfies Readonly<Record<PageId, PageInfo>>;

/** The pages the server may turn on. */
export type OptionalPageId = { [P in PageId]: (typeof PAGES)[P]['optional'] extends true ? P : never }[PageId];

/** The pages a caller may open, in navigation order: admin pages for admins, optional pages when turned on. */
export function pagesFor(admin: boolean, turnedOn: readonly OptionalPageId[] = []): PageId[] {
  const on: readonly PageId[] = turnedOn;
  return PAGE_IDS.filter((p) => {
    const page: PageInfo = PAGES[p];
    return (!page.optional || on.includes(p)) && (!page.adminOnly || admin);
  });
}

export const meResponse = z.object({
  testerId: z.string(),
  name: z.string().nullable(),
  admin: z.boolean(),
  via: z.enum(['teams-sso', 'link', 'local']),
  /** The pages this caller may open, in navigation order. */
  pages: z.array(z.enum(PAGE_IDS)),
  claude: z.object({ online: z.boolean(), model: z.string() }),
});
export type MeResponse = z.infer<typeof meResponse>;
