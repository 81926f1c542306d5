/**
 * Best practices (spec 002): what the best-scored replies per model and topic have in common. Filters
 * (model, category, minimum effectiveness) live in the URL like the training page's; each practice shows
 * its source sessions (linked to the session page) with their contribution; model_performance_stats on top.
 */
import {
  Badge, Body1, Caption1, Card, CardHeader, Field, Input, Select, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, Text, Title3,
  makeStyles, tokens,
} from '@fluentui/react-components';
import { type PracticeRow, practicesResponse } from '../../contract';
import { call, queryString } from '../api';
import { FilterBar, Loadable, Pager, fmt, plural } from '../parts/common';
import { NavLink } from '../parts/nav-link';
import { useApi } from '../parts/use-api';
import { useQueryState } from '../router';

const useStyles = makeStyles({
  list: { display: 'flex', flexDirection: 'column', gap: '12px', marginTop: '12px' },
  badges: { display: 'flex', gap: '6px', flexWrap: 'wrap', alignItems: 'center' },
  example: { whiteSpace: 'pre-wrap', display: 'block', padding: '8px', borderRadius: tokens.borderRadiusMedium, backgroundColor: tokens.colorNeutralBackground3, border: `1px solid ${tokens.colorNeutralStroke2}` },
  insights: { margin: '4px 0', paddingLeft: '20px' },
  sources: { display: 'flex', gap: '10px', flexWrap: 'wrap' },
  stats: { maxWidth: '720px', marginBottom: '12px', backgroundColor: tokens.colorNeutralBackground1 },
  score: { fontWeight: tokens.fontWeightSemibold },
});

function Practice(props: { p: PracticeRow }) {
  const s = useStyles();
  const p = props.p;
  const hidden = p.sources.filter((src) => src.sessionId === null).length;
  return (
    <Card data-testid="practice" data-model={p.model} data-category={p.category}>
      <CardHeader
        header={<Text weight="semibold">{p.title}</Text>}
        description={
          <span className={s.badges}>
            <Badge appearance="tint">{p.model}</Badge>
            <Badge appearance="outline">{p.category}</Badge>
            <Text className={s.score} data-testid="effectiveness">Effectiveness {p.effectivenessScore.toFixed(1)}</Text>
            <Caption1>{p.sampleCount} {p.sampleCount === 1 ? 'reply' : 'replies'} · {p.generatedBy === 'claude' ? 'written by Claude' : 'offline write-up'} · analysed {fmt.when(p.lastAnalyzedAt)}</Caption1>
            {p.status === 'archived' && <Badge color="important">archived</Badge>}
          </span>
        }
      />
      <Body1>{p.description}</Body1>
      {p.keyInsights.length > 0 && <ul className={s.insights}>{p.keyInsights.map((k) => <li key={k}>{k}</li>)}</ul>}
      <Caption1>Example</Caption1>
      <Body1 className={s.example}>{p.examplePrompt}</Body1>
      <div>
        <Caption1>Source sessions ({p.sources.length})</Caption1>
        <div className={s.sources} data-testid="sources">
          {p.sources.flatMap((src) => (src.sessionId === null ? [] : [
            <span key={src.sessionId} data-testid="source">
              <NavLink to={`/sessions/${src.sessionId}`}>{src.sessionId.slice(0, 8)}</NavLink> <Caption1>contribution {src.contributionScore.toFixed(2)}</Caption1>
            </span>,
          ]))}
          {hidden > 0 && <Caption1>and {plural(hidden, 'session')} of other testers</Caption1>}
        </div>
      </div>
    </Card>
  );
}

export function PracticesPage() {
  const s = useStyles();
  const [params, set] = useQueryState();
  const page = Number(params.get('page') ?? '1') || 1;
  const pageSize = Number(params.get('pageSize') ?? '25') || 25;
  const filters = { model: params.get('model') ?? undefined, category: params.get('category') ?? undefined, minEffectiveness: params.get('minEffectiveness') ?? undefined };
  const query = queryString({ ...filters, page, pageSize });
  const { data, error, loading } = useApi(() => call(practicesResponse, `/practices${query}`), query);
  const filter = (patch: Record<string, string | null>) => { set({ ...patch, page: null }); };
  const choice = (label: string, key: 'model' | 'category', options: readonly string[]) => (
    <Field label={label}>
      <Select aria-label={label} value={filters[key] ?? ''} onChange={(_e, d) => { filter({ [key]: d.value }); }}>
        <option value="">Any</option>
        {/* The URL's value stays choosable even when no practice has it any more. */}
        {[...new Set([...options, ...(filters[key] ? [filters[key]] : [])])].map((o) => <option key={o} value={o}>{o}</option>)}
      </Select>
    </Field>
  );
  return (
    <section>
      <Title3 as="h1" block>Best practices</Title3>
      {data && data.stats.length > 0 && (
        <Table className={s.stats} size="small" aria-label="Per model" data-testid="model-stats">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Model</TableHeaderCell>
              <TableHeaderCell>Active practices</TableHeaderCell>
              <TableHeaderCell>Average effectiveness</TableHeaderCell>
              <TableHeaderCell>Updated</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {data.stats.map((m) => (
              <TableRow key={m.model} data-model={m.model}>
                <TableCell>{m.model}</TableCell>
                <TableCell data-cell="total">{m.totalPractices}</TableCell>
                <TableCell data-cell="avg">{m.avgEffectiveness.toFixed(2)}</TableCell>
                <TableCell>{fmt.when(m.lastUpdated)}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      <FilterBar>
        {choice('Model', 'model', data?.facets.models ?? [])}
        {choice('Category', 'category', data?.facets.categories ?? [])}
        <Field label="Minimum effectiveness">
          <Input type="number" min={0} max={100} aria-label="Minimum effectiveness" value={filters.minEffectiveness ?? ''} onChange={(_e, d) => { filter({ minEffectiveness: d.value }); }} />
        </Field>
      </FilterBar>
      <Loadable loading={loading} error={error} hasData={data !== null}>
        {data && (
          <>
            <Text data-testid="match-count">{plural(data.total, 'practice')}</Text>
            {data.total === 0 && <Caption1 block>No practice matches. The analysis runs daily (PRACTICES_TIME_UTC) or with /practices refresh in the chat.</Caption1>}
            <div className={s.list}>{data.rows.map((p) => <Practice key={p.id} p={p} />)}</div>
            <Pager page={data.page} pageSize={data.pageSize} total={data.total} onPage={(p) => { set({ page: String(p) }); }} onPageSize={(n) => { set({ pageSize: String(n), page: null }); }} />
          </>
        )}
      </Loadable>
    </section>
  );
}
