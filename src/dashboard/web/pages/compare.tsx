/**
 * Compare: a replay and its source session (per-metric averages with the turns behind each, the deltas,
 * every turn's old and new answer side by side with the passages that changed), or two prompt versions
 * over every turn recorded under each (and the replays from one to the other). The choice is in the URL:
 * `?replay=<id>` or `?a=<version>&b=<version>`.
 */
import {
  Badge, Body1, Caption1, Card, CardHeader, Field, MessageBar, MessageBarBody, Select, Tab, TabList, Table, TableBody, TableCell,
  TableHeader, TableHeaderCell, TableRow, Text, Title3, makeStyles, tokens,
} from '@fluentui/react-components';
import {
  type CompareMetric, type MetricDeltaView, type ReplayRow, replayComparisonResponse, replaysResponse, type TurnPairView, versionsComparisonResponse,
} from '../../contract';
import { call, queryString } from '../api';
import { FilterBar, Loadable, Pager, StatusBadge, fmt, plural } from '../parts/common';
import { type GridColumn, ServerGrid } from '../parts/grid';
import { NavLink } from '../parts/nav-link';
import { useApi } from '../parts/use-api';
import { navigate, useQueryState } from '../router';

const LABELS: Record<CompareMetric, string> = {
  has_policy_citation: 'Cites a policy passage',
  appropriate_action_suggested: 'Suggests an appropriate action',
  structure_complete: 'Structure complete',
  professionalism_score: 'Professionalism (1-5)',
  empathy_score: 'Empathy (1-5)',
  clarity_score: 'Clarity (1-5)',
};

const isScore = (m: CompareMetric) => m.endsWith('_score');
/** As the comparison card and the CLI show them: a 1-5 mean with two decimals, a yes/no metric as a share. */
const value = (m: CompareMetric, v: number | null) => (v === null ? '—' : isScore(m) ? v.toFixed(2) : `${(v * 100).toFixed(0)}%`);
function delta(m: CompareMetric, d: number | null): string {
  if (d === null) return '—';
  const sign = d > 0 ? '+' : d < 0 ? '−' : '±';
  return isScore(m) ? `${sign}${Math.abs(d).toFixed(2)}` : `${sign}${(Math.abs(d) * 100).toFixed(0)} pts`;
}
const turnValue = (v: number | boolean | null | undefined) => (v === null || v === undefined ? '—' : typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v));

const useStyles = makeStyles({
  pairs: { display: 'flex', flexDirection: 'column', gap: '12px', marginTop: '12px' },
  sides: { display: 'grid', gridTemplateColumns: '1fr 1fr', gap: '12px' },
  side: { padding: '8px', borderRadius: tokens.borderRadiusMedium, backgroundColor: tokens.colorNeutralBackground3, border: `1px solid ${tokens.colorNeutralStroke2}` },
  answer: { whiteSpace: 'pre-wrap', display: 'block', marginTop: '4px' },
  scores: { display: 'flex', gap: '6px', flexWrap: 'wrap', marginTop: '6px' },
  up: { color: tokens.colorPaletteGreenForeground1, fontWeight: tokens.fontWeightSemibold },
  down: { color: tokens.colorPaletteRedForeground1, fontWeight: tokens.fontWeightSemibold },
  meta: { display: 'flex', gap: '12px', flexWrap: 'wrap', margin: '8px 0', color: tokens.colorNeutralForeground3 },
  table: { maxWidth: '900px', backgroundColor: tokens.colorNeutralBackground1 },
  section: { marginTop: '16px' },
  note: { marginTop: '6px' },
});

/** The per-metric table: A, B, B − A, and the turns behind each side. */
export function MetricsTable(props: { metrics: readonly MetricDeltaView[]; labelA: string; labelB: string }) {
  const s = useStyles();
  return (
    <Table className={s.table} size="small" aria-label="Metrics" data-testid="metrics">
      <TableHeader>
        <TableRow>
          <TableHeaderCell>Metric</TableHeaderCell>
          <TableHeaderCell>A · {props.labelA}</TableHeaderCell>
          <TableHeaderCell>B · {props.labelB}</TableHeaderCell>
          <TableHeaderCell>Change</TableHeaderCell>
          <TableHeaderCell>Turns A</TableHeaderCell>
          <TableHeaderCell>Turns B</TableHeaderCell>
        </TableRow>
      </TableHeader>
      <TableBody>
        {props.metrics.map((m) => (
          <TableRow key={m.metric} data-metric={m.metric}>
            <TableCell>{LABELS[m.metric]}</TableCell>
            <TableCell data-cell="a">{value(m.metric, m.a)}</TableCell>
            <TableCell data-cell="b">{value(m.metric, m.b)}</TableCell>
            <TableCell data-cell="delta" className={m.delta === null || m.delta === 0 ? undefined : m.delta > 0 ? s.up : s.down}>{delta(m.metric, m.delta)}</TableCell>
            <TableCell data-cell="a-turns">{m.aTurns}</TableCell>
            <TableCell data-cell="b-turns">{m.bTurns}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

function Scores(props: { scores: Partial<Record<CompareMetric, number | boolean | null>> | null }) {
  const s = useStyles();
  if (!props.scores) return null;
  const sc = props.scores;
  return (
    <div className={s.scores}>
      {(Object.keys(LABELS) as CompareMetric[]).map((m) => <Badge key={m} appearance="outline" size="small">{LABELS[m].replace(' (1-5)', '')}: {turnValue(sc[m])}</Badge>)}
    </div>
  );
}

function Pair(props: { p: TurnPairView }) {
  const s = useStyles();
  const p = props.p;
  const r = p.retrieval;
  return (
    <Card data-testid="pair">
      <CardHeader header={<Text weight="semibold">{p.turnNumber}. {p.userMessage}</Text>} />
      <div className={s.sides}>
        <div className={s.side} data-testid="old-answer">
          <Caption1>Source (A)</Caption1>
          <Body1 className={s.answer}>{p.oldAnswer}</Body1>
          <Scores scores={p.oldScores} />
        </div>
        <div className={s.side} data-testid="new-answer">
          <Caption1>Replay (B)</Caption1>
          <Body1 className={s.answer}>{p.newAnswer ?? '(not replayed)'}</Body1>
          <Scores scores={p.newScores} />
        </div>
      </div>
      <div data-testid="retrieval">
        <Caption1>
          {r === null
            ? 'Retrieval: nothing to compare (the source turn had no passages, or the turn was not replayed).'
            : r.same
              ? 'Retrieval: the same passages in the same order.'
              : [
                  r.added.length ? `added ${r.added.join(', ')}` : '',
                  r.dropped.length ? `dropped ${r.dropped.join(', ')}` : '',
                  r.reordered.length ? `moved ${r.reordered.map((m) => `${m.chunkId} ${String(m.from)}→${String(m.to)}`).join(', ')}` : '',
                ].filter(Boolean).join(' · ').replace(/^/, 'Retrieval changed: ')}
        </Caption1>
      </div>
    </Card>
  );
}

function replayColumns(): Array<GridColumn<ReplayRow>> {
  return [
    { id: 'created', label: 'Replayed', render: (r) => <NavLink to={`/compare?replay=${r.id}`}>{fmt.when(r.createdAt)}</NavLink> },
    { id: 'tester', label: 'Tester', render: (r) => r.testerName ?? '—' },
    { id: 'versions', label: 'A → B', render: (r) => `${r.baseVersion ?? '(unknown)'} → ${r.candidateVersion}` },
    { id: 'status', label: 'Status', render: (r) => <StatusBadge status={r.status} /> },
    { id: 'turns', label: 'Turns', render: (r) => `${String(r.doneTurns)}/${String(r.totalTurns)}` },
    { id: 'compared', label: 'Compared', render: (r) => fmt.when(r.comparedAt) },
  ];
}

const NO_SORT = { field: '', dir: 'desc' as const };

function ReplayList(props: { page: number; pageSize: number; set: (patch: Record<string, string | null>) => void }) {
  const query = queryString({ page: props.page, pageSize: props.pageSize });
  const { data, error, loading } = useApi(() => call(replaysResponse, `/compare/replays${query}`), query);
  return (
    <Loadable loading={loading} error={error} hasData={data !== null}>
      {data && data.total === 0 && (
        <MessageBar intent="info"><MessageBarBody>No replays yet: replay a session from its card in the chat (Replay on a prompt), then compare it here.</MessageBarBody></MessageBar>
      )}
      {data && data.total > 0 && (
        <>
          <ServerGrid label="Replays" rows={data.rows} columns={replayColumns()} rowId={(r) => r.id} sort={NO_SORT} onSort={() => undefined} onOpen={(r) => { navigate('/compare', new URLSearchParams({ replay: r.id })); }} />
          <Pager page={data.page} pageSize={data.pageSize} total={data.total} onPage={(p) => { props.set({ page: String(p) }); }} onPageSize={(n) => { props.set({ pageSize: String(n), page: null }); }} />
        </>
      )}
    </Loadable>
  );
}

function ReplayView(props: { id: string; page: number; pageSize: number; set: (patch: Record<string, string | null>) => void }) {
  const s = useStyles();
  const query = queryString({ page: props.page, pageSize: props.pageSize });
  const key = `${props.id}${query}`;
  const { data, error, loading } = useApi(() => call(replayComparisonResponse, `/compare/replays/${encodeURIComponent(props.id)}${query}`), key);
  return (
    <Loadable loading={loading} error={error} hasData={data !== null}>
      {data && (
        <div data-testid="replay-comparison">
          <div className={s.meta}>
            <Text>Replay {data.replay.id.slice(0, 8)} · <StatusBadge status={data.replay.status} /></Text>
            <NavLink to={`/sessions/${data.replay.sourceSessionId}`}>Source session</NavLink>
            {data.replay.replaySessionId && <NavLink to={`/sessions/${data.replay.replaySessionId}`}>Replay session</NavLink>}
            <Text>{plural(data.replay.totalTurns, 'turn')}</Text>
            <NavLink to="/compare">All replays</NavLink>
          </div>
          <MetricsTable metrics={data.metrics} labelA={data.versionA} labelB={data.versionB} />
          {data.judgeMissing && <Caption1 block className={s.note}>Some turns have no judge scores yet (judge offline, or not judged): the 1-5 means count only the judged turns.</Caption1>}
          <div className={s.section}>
            <Title3 as="h2">Turns side by side</Title3>
            <div className={s.pairs}>{data.pairs.map((p) => <Pair key={p.turnNumber} p={p} />)}</div>
            <Pager page={data.page} pageSize={data.pageSize} total={data.total} onPage={(p) => { props.set({ page: String(p) }); }} onPageSize={(n) => { props.set({ pageSize: String(n), page: null }); }} />
          </div>
        </div>
      )}
    </Loadable>
  );
}

function VersionsView(props: { a: string; b: string; page: number; pageSize: number; set: (patch: Record<string, string | null>) => void }) {
  const s = useStyles();
  const facetsQuery = queryString({ pageSize: 25 });
  const facets = useApi(() => call(replaysResponse, `/compare/replays${facetsQuery}`), 'facets');
  const versions = facets.data?.versions ?? [];
  const chosen = props.a !== '' && props.b !== '';
  const query = queryString({ a: props.a, b: props.b, page: props.page, pageSize: props.pageSize });
  const { data, error, loading } = useApi(
    () => (chosen ? call(versionsComparisonResponse, `/compare/versions${query}`) : Promise.resolve(null)),
    query,
  );
  const picker = (label: string, key: 'a' | 'b', current: string) => (
    <Field label={label}>
      <Select aria-label={label} value={current} onChange={(_e, d) => { props.set({ [key]: d.value, page: null }); }}>
        <option value="">Choose…</option>
        {versions.map((v) => <option key={v} value={v}>{v}</option>)}
      </Select>
    </Field>
  );
  return (
    <>
      <FilterBar>
        {picker('Version A', 'a', props.a)}
        {picker('Version B', 'b', props.b)}
      </FilterBar>
      {!chosen && <Caption1 block>Choose two prompt versions: every turn recorded under each counts (tuning sessions and replays alike).</Caption1>}
      {chosen && (
        <Loadable loading={loading} error={error} hasData={data !== null}>
          {data && (
            <div data-testid="versions-comparison">
              <div className={s.meta}><Text>A: {plural(data.sessionsA, 'session')} · B: {plural(data.sessionsB, 'session')}</Text></div>
              <MetricsTable metrics={data.metrics} labelA={data.versionA} labelB={data.versionB} />
              <div className={s.section}>
                <Title3 as="h2">Replays from A to B</Title3>
                {data.total === 0
                  ? <Caption1 block>None: replay a session recorded under {data.versionA} on {data.versionB} to compare turn by turn.</Caption1>
                  : (
                      <>
                        <ServerGrid label="Replays from A to B" rows={data.rows} columns={replayColumns()} rowId={(r) => r.id} sort={NO_SORT} onSort={() => undefined} onOpen={(r) => { navigate('/compare', new URLSearchParams({ replay: r.id })); }} />
                        <Pager page={data.page} pageSize={data.pageSize} total={data.total} onPage={(p) => { props.set({ page: String(p) }); }} onPageSize={(n) => { props.set({ pageSize: String(n), page: null }); }} />
                      </>
                    )}
              </div>
            </div>
          )}
        </Loadable>
      )}
    </>
  );
}

export function ComparePage() {
  const s = useStyles();
  const [params, set] = useQueryState();
  const replay = params.get('replay') ?? '';
  const a = params.get('a') ?? '';
  const b = params.get('b') ?? '';
  const page = Number(params.get('page') ?? '1') || 1;
  const pageSize = Number(params.get('pageSize') ?? '25') || 25;
  const mode = params.get('mode') === 'versions' || a !== '' || b !== '' ? 'versions' : 'replays';
  return (
    <section>
      <Title3 as="h1" block>Compare</Title3>
      <TabList
        selectedValue={mode}
        onTabSelect={(_e, d) => { navigate('/compare', new URLSearchParams(d.value === 'versions' ? { mode: 'versions' } : {})); }}
        aria-label="What to compare"
      >
        <Tab value="replays">A replay and its source</Tab>
        <Tab value="versions">Two prompt versions</Tab>
      </TabList>
      <div className={s.section}>
        {mode === 'versions'
          ? <VersionsView a={a} b={b} page={page} pageSize={pageSize} set={set} />
          : replay
            ? <ReplayView id={replay} page={page} pageSize={pageSize} set={set} />
            : <ReplayList page={page} pageSize={pageSize} set={set} />}
      </div>
    </section>
  );
}
