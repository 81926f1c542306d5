/** Sessions: filter by tester (admins), prompt version and dates; counts, notes per category, averages. */
import { Badge, Field, Input, Title3, makeStyles } from '@fluentui/react-components';
import { type MeResponse, type SessionRow, sessionsResponse } from '../../contract';
import { call, queryString } from '../api';
import { FilterBar, Loadable, MultiSelect, Pager, fmt, listParam } from '../parts/common';
import { type GridColumn, parseSort, ServerGrid } from '../parts/grid';
import { useApi } from '../parts/use-api';
import { navigate, useQueryState } from '../router';
import { NavLink } from '../parts/nav-link';

const useStyles = makeStyles({ cats: { display: 'flex', gap: '4px', flexWrap: 'wrap' } });

export function SessionsPage(props: { me: MeResponse }) {
  const [params, set] = useQueryState();
  const s = useStyles();
  const sort = parseSort(params.get('sort'), { field: 'start', dir: 'desc' });
  const page = Number(params.get('page') ?? '1') || 1;
  const pageSize = Number(params.get('pageSize') ?? '25') || 25;
  const filters = { tester: params.get('tester') ?? undefined, version: params.get('version') ?? undefined, from: params.get('from') ?? undefined, to: params.get('to') ?? undefined };
  const query = queryString({ ...filters, page, pageSize, sort: `${sort.field}:${sort.dir}` });
  const { data, error, loading } = useApi(() => call(sessionsResponse, `/sessions${query}`), query);
  const filter = (patch: Record<string, string | null>) => { set({ ...patch, page: null }); };
  const names = new Map((data?.facets.testers ?? []).map((t) => [t.id, t.name ?? t.id]));
  const anyScores = (data?.rows ?? []).some((r) => r.scores);

  const columns: Array<GridColumn<SessionRow>> = [
    { id: 'start', label: 'Start', sort: 'start', render: (r) => <NavLink to={`/sessions/${r.id}`}>{fmt.when(r.start)}</NavLink> },
    ...(props.me.admin ? [{ id: 'tester', label: 'Tester', sort: 'tester', render: (r: SessionRow) => r.testerName ?? r.testerId ?? '—' }] : []),
    { id: 'version', label: 'Prompt version', sort: 'version', render: (r) => r.promptVersion ?? '—' },
    { id: 'turns', label: 'Turns', sort: 'turns', render: (r) => r.turns },
    { id: 'notes', label: 'Notes', sort: 'notes', render: (r) => r.notes },
    {
      id: 'cats', label: 'Notes per category',
      render: (r) => <span className={s.cats}>{Object.entries(r.notesByCategory).map(([c, n]) => <Badge key={c} appearance="outline">{c} {n}</Badge>)}</span>,
    },
    { id: 'similarity', label: 'Avg similarity', sort: 'similarity', render: (r) => fmt.num(r.avgSimilarity) },
    { id: 'processing', label: 'Avg processing', sort: 'processing', render: (r) => fmt.ms(r.avgProcessingMs) },
    ...(anyScores ? [{ id: 'scores', label: 'Scores (prof. / emp. / clar.)', render: (r: SessionRow) => (r.scores ? `${fmt.num(r.scores.professionalism, 1)} / ${fmt.num(r.scores.empathy, 1)} / ${fmt.num(r.scores.clarity, 1)}` : '—') }] : []),
  ];

  return (
    <section>
      <Title3 as="h1" block>Sessions</Title3>
      <FilterBar>
        {props.me.admin && (
          <MultiSelect label="Tester" options={data?.facets.testers.map((t) => t.id) ?? []} value={listParam(params, 'tester')} render={(id) => names.get(id) ?? id} onChange={(v) => { filter({ tester: v.join(',') }); }} />
        )}
        <MultiSelect label="Prompt version" options={data?.facets.versions ?? []} value={listParam(params, 'version')} onChange={(v) => { filter({ version: v.join(',') }); }} />
        <Field label="From">
          <Input type="date" aria-label="From" value={filters.from ?? ''} onChange={(_e, d) => { filter({ from: d.value }); }} />
        </Field>
        <Field label="To">
          <Input type="date" aria-label="To" value={filters.to ?? ''} onChange={(_e, d) => { filter({ to: d.value }); }} />
        </Field>
      </FilterBar>
      <Loadable loading={loading} error={error} hasData={data !== null}>
        {data && (
          <>
            <ServerGrid label="Sessions" rows={data.rows} columns={columns} rowId={(r) => r.id} sort={sort} onSort={(v) => { set({ sort: `${v.field}:${v.dir}`, page: null }); }} onOpen={(r) => { navigate(`/sessions/${r.id}`); }} />
            <Pager page={data.page} pageSize={data.pageSize} total={data.total} onPage={(p) => { set({ page: String(p) }); }} onPageSize={(n) => { set({ pageSize: String(n), page: null }); }} />
          </>
        )}
      </Loadable>
    </section>
  );
}
