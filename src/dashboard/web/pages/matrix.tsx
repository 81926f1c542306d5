/**
 * Training data: the conversation matrix (spec 001 US-TRAIN-001/002) — summary counts, multi-select
 * filters kept in the URL, sorting, paging, row selection and "Generate selected".
 */
import { Badge, Button, CounterBadge, Field, Input, MessageBar, MessageBarBody, Text, Title3, makeStyles, tokens } from '@fluentui/react-components';
import { useState } from 'react';
import { type MatrixRow, matrixResponse, type MeResponse } from '../../contract';
import { call, queryString } from '../api';
import { FilterBar, Loadable, MultiSelect, Pager, Stars, StatusBadge, listParam } from '../parts/common';
import { type GridColumn, parseSort, ServerGrid } from '../parts/grid';
import { useApi } from '../parts/use-api';
import { NavLink } from '../parts/nav-link';
import { navigate, useQueryState } from '../router';
import { GenerateDialog } from './generate-dialog';

const MULTI = ['persona', 'tier', 'startEmotion', 'endEmotion', 'status', 'template'] as const;
const SINGLE = ['topic', 'qmin', 'qmax'] as const;
const TIER_LABEL: Record<string, string> = { tier1_template: 'Tier 1 Template', tier2_scenario: 'Tier 2 Scenario', tier3_edge: 'Tier 3 Edge' };

const useStyles = makeStyles({
  summary: { display: 'flex', gap: '16px', flexWrap: 'wrap', margin: '8px 0 12px 0' },
  stat: { display: 'flex', flexDirection: 'column', padding: '8px 12px', backgroundColor: tokens.colorNeutralBackground1, borderRadius: tokens.borderRadiusMedium, minWidth: '90px' },
  actions: { display: 'flex', gap: '12px', alignItems: 'center', margin: '8px 0', flexWrap: 'wrap' },
  seed: { fontWeight: tokens.fontWeightSemibold },
  small: { width: '90px' },
});

export function MatrixPage(props: { me: MeResponse }) {
  const s = useStyles();
  const [params, set] = useQueryState();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [dialog, setDialog] = useState(false);
  const [started, setStarted] = useState<string | null>(null);
  const sort = parseSort(params.get('sort'), { field: 'number', dir: 'asc' });
  const page = Number(params.get('page') ?? '1') || 1;
  const pageSize = Number(params.get('pageSize') ?? '25') || 25;
  const q: Record<string, string | number | undefined> = { page, pageSize, sort: `${sort.field}:${sort.dir}` };
  for (const k of [...MULTI, ...SINGLE]) q[k] = params.get(k) ?? undefined;
  const query = queryString(q);
  const { data, error, loading, reload } = useApi(() => call(matrixResponse, `/training/conversations${query}`), query);
  const active = [...MULTI, ...SINGLE].filter((k) => params.get(k)).length;
  const filter = (patch: Record<string, string | null>) => { set({ ...patch, page: null }); };

  const columns: Array<GridColumn<MatrixRow>> = [
    { id: 'number', label: '#', sort: 'number', render: (r) => <span className={r.isSeed ? s.seed : undefined}>{r.number}{r.isSeed ? ' ◆' : ''}</span> },
    { id: 'key', label: 'Conversation ID', render: (r) => <NavLink to={`/training/${String(r.number)}`}>{r.key}</NavLink> },
    { id: 'persona', label: 'Persona', sort: 'persona', render: (r) => `${r.personaName} (${r.personaType})` },
    { id: 'topic', label: 'Topic', sort: 'topic', render: (r) => r.topic },
    { id: 'tier', label: 'Tier', sort: 'tier', render: (r) => `${TIER_LABEL[r.tier] ?? r.tier}${r.template ? ` · ${r.template}` : ''}` },
    { id: 'arc', label: 'Emotional arc', render: (r) => `${r.startEmotion ?? '?'} → ${r.endEmotion ?? '?'}` },
    { id: 'turns', label: 'Turns', sort: 'turns', render: (r) => r.turns },
    { id: 'status', label: 'Status', sort: 'status', render: (r) => <StatusBadge status={r.status} /> },
    { id: 'quality', label: 'Quality', sort: 'quality', render: (r) => <Stars value={r.quality} /> },
    { id: 'actions', label: 'Actions', render: (r) => <NavLink to={`/training/${String(r.number)}`}>Open</NavLink> },
  ];
  const sum = data?.summary;
  return (
    <section>
      <Title3 as="h1" block>Training data</Title3>
      {sum && (
        <div className={s.summary} data-testid="summary">
          {([['Total', sum.total], ['Seed', sum.seed], ['Generated', sum.generated], ['Remaining', sum.remaining]] as const).map(([l, n]) => (
            <div key={l} className={s.stat}><Text size={200}>{l}</Text><Text size={500} weight="semibold">{n}</Text></div>
          ))}
          <div className={s.stat}><Text size={200}>By tier</Text><Text>{Object.entries(sum.byTier).sort(([a], [b]) => a.localeCompare(b)).map(([t, n]) => `${TIER_LABEL[t] ?? t} ${String(n)}`).join(' · ')}</Text></div>
          <div className={s.stat}><Text size={200}>By persona</Text><Text>{Object.entries(sum.byPersona).sort(([a], [b]) => a.localeCompare(b)).map(([p, n]) => `${p} ${String(n)}`).join(' · ')}</Text></div>
        </div>
      )}
      <FilterBar>
        <MultiSelect label="Persona" options={data?.facets.personas ?? []} value={listParam(params, 'persona')} onChange={(v) => { filter({ persona: v.join(',') }); }} />
        <MultiSelect label="Tier" options={data?.facets.tiers ?? []} value={listParam(params, 'tier')} render={(t) => TIER_LABEL[t] ?? t} onChange={(v) => { filter({ tier: v.join(',') }); }} />
        <MultiSelect label="Starting emotion" options={data?.facets.startEmotions ?? []} value={listParam(params, 'startEmotion')} onChange={(v) => { filter({ startEmotion: v.join(',') }); }} />
        <MultiSelect label="Ending emotion" options={data?.facets.endEmotions ?? []} value={listParam(params, 'endEmotion')} onChange={(v) => { filter({ endEmotion: v.join(',') }); }} />
        <MultiSelect label="Status" options={data?.facets.statuses ?? []} value={listParam(params, 'status')} onChange={(v) => { filter({ status: v.join(',') }); }} />
        <MultiSelect label="Template" options={data?.facets.templates ?? []} value={listParam(params, 'template')} onChange={(v) => { filter({ template: v.join(',') }); }} />
        <Field label="Topic search">
          <Input aria-label="Topic search" value={params.get('topic') ?? ''} onChange={(_e, d) => { filter({ topic: d.value }); }} />
        </Field>
        <Field label="Quality from">
          <Input className={s.small} aria-label="Quality from" type="number" min={1} max={5} step={0.5} value={params.get('qmin') ?? ''} onChange={(_e, d) => { filter({ qmin: d.value }); }} />
        </Field>
        <Field label="to">
          <Input className={s.small} aria-label="Quality to" type="number" min={1} max={5} step={0.5} value={params.get('qmax') ?? ''} onChange={(_e, d) => { filter({ qmax: d.value }); }} />
        </Field>
        <Button disabled={active === 0} onClick={() => { filter(Object.fromEntries([...MULTI, ...SINGLE].map((k) => [k, null]))); }}>
          Clear all filters {active > 0 && <CounterBadge count={active} size="small" />}
        </Button>
      </FilterBar>
      <div className={s.actions}>
        {data && <Text data-testid="match-count">{data.total} of {data.summary.total} conversations</Text>}
        <Button appearance="primary" disabled={selected.size === 0 || !props.me.claude.online} onClick={() => { setDialog(true); }}>Generate selected ({selected.size})</Button>
        {!props.me.claude.online && <Badge appearance="outline">offline: generation needs ANTHROPIC_API_KEY</Badge>}
      </div>
      {started && (
        <MessageBar intent="success" data-testid="started">
          <MessageBarBody>Job {started.slice(0, 8)} started. <NavLink to='/jobs'>Follow it on Jobs</NavLink>.</MessageBarBody>
        </MessageBar>
      )}
      <Loadable loading={loading} error={error} hasData={data !== null}>
        {data && (
          <>
            <ServerGrid label="Conversations" rows={data.rows} columns={columns} rowId={(r) => r.id} sort={sort} onSort={(v) => { set({ sort: `${v.field}:${v.dir}`, page: null }); }} onOpen={(r) => { navigate(`/training/${String(r.number)}`); }} selected={selected} onSelect={setSelected} />
            <Pager page={data.page} pageSize={data.pageSize} total={data.total} onPage={(p) => { set({ page: String(p) }); }} onPageSize={(n) => { set({ pageSize: String(n), page: null }); }} />
          </>
        )}
      </Loadable>
      <GenerateDialog
        ids={[...selected]}
        open={dialog}
        onClose={() => { setDialog(false); }}
        onStarted={(jobId) => {
          setDialog(false);
          setStarted(jobId);
          setSelected(new Set());
          reload();
        }}
      />
    </section>
  );
}
