/**
 * The one plan filter: `/plan`, `/generate` and `gen run --filter` parse and apply it here, so the same
 * words select the same conversations everywhere. `topic=` matches the topic category or its description.
 */
import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import type { ConversationGenerationStatus, Database } from '../../../db';

export interface PlanFilter {
  persona?: string;
  tier?: 1 | 2 | 3;
  status?: string;
  template?: string;
  topic?: string;
  minQuality?: number;
  maxQuality?: number;
}

/** The filters that choose what to generate (status, quality and paging do not apply there). */
export type GenerationFilter = Pick<PlanFilter, 'persona' | 'tier' | 'topic' | 'template'>;

/** Statuses a generation may start from: planned, or left in_progress by a worker that crashed. */
export const GENERATABLE_STATUSES: readonly ConversationGenerationStatus[] = ['planned', 'in_progress'];

const TIER_NAMES = { 1: 'tier1_template', 2: 'tier2_scenario', 3: 'tier3_edge' } as const;
const FILTER_KEYS = 'persona, tier, status, template, topic, quality, page';

/** Parses "persona=marcus tier=1 status=planned template=a topic=debt quality=4-5 page=2". */
export function parsePlanFilter(text: string): { filter: PlanFilter; page: number; errors: string[] } {
  const filter: PlanFilter = {};
  const errors: string[] = [];
  let page = 1;
  for (const part of text.trim().split(/\s+/).filter(Boolean)) {
    const [key = '', ...rest] = part.split('=');
    const value = rest.join('=');
    if (!value) {
      errors.push(`"${part}" is not key=value`);
      continue;
    }
    switch (key.toLowerCase()) {
      case 'persona': filter.persona = value; break;
      case 'tier':
        if (value === '1' || value === '2' || value === '3') filter.tier = Number(value) as 1 | 2 | 3;
        else errors.push('tier is 1, 2 or 3');
        break;
      case 'status': filter.status = value.toLowerCase(); break;
      case 'template': filter.template = value.toLowerCase(); break;
      case 'topic': filter.topic = value; break;
      case 'quality': {
        const m = /^(\d(?:\.\d)?)-(\d(?:\.\d)?)$/.exec(value);
        if (m) {
          filter.minQuality = Number(m[1]);
          filter.maxQuality = Number(m[2]);
        } else errors.push('quality is a range like 4-5');
        break;
      }
      case 'page':
        if (/^\d+$/.test(value) && Number(value) >= 1) page = Number(value);
        else errors.push('page is a whole number from 1');
        break;
      default: errors.push(`unknown filter "${key}" (${FILTER_KEYS})`);
    }
  }
  return { filter, page, errors };
}

/** The filter as a WHERE condition on training_conversations (true when the filter is empty). */
export function planFilterWhere(eb: ExpressionBuilder<Database, 'training_conversations'>, f: PlanFilter): Expression<SqlBool> {
  const conditions: Array<Expression<SqlBool>> = [];
  if (f.persona) conditions.push(eb.or([eb('persona_name', 'ilike', `%${f.persona}%`), eb('persona_type', 'ilike', `%${f.persona}%`)]));
  if (f.tier) conditions.push(eb('tier', '=', TIER_NAMES[f.tier]));
  if (f.status) conditions.push(eb(sql<string>`COALESCE(generation_status, 'planned')`, '=', f.status));
  if (f.template) conditions.push(eb('tier_template', 'ilike', `%${f.template}`));
  if (f.topic) conditions.push(eb.or([eb('topic_category', 'ilike', `%${f.topic}%`), eb('topic_description', 'ilike', `%${f.topic}%`)]));
  if (f.minQuality !== undefined) conditions.push(eb('quality_score', '>=', String(f.minQuality)));
  if (f.maxQuality !== undefined) conditions.push(eb('quality_score', '<=', String(f.maxQuality)));
  return eb.and(conditions);
}
