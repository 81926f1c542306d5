/** Jobs: every recent generation job with live progress (polled every 2 s) and Pause / Resume / Cancel. */
import { Button, Caption1, Card, CardHeader, MessageBar, MessageBarBody, ProgressBar, Text, Title3, makeStyles } from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { jobActionResponse, type JobView, jobsResponse } from '../../contract';
import { call } from '../api';
import { Loadable, StatusBadge, fmt, plural } from '../parts/common';
import { useApi } from '../parts/use-api';

const useStyles = makeStyles({ list: { display: 'flex', flexDirection: 'column', gap: '12px' }, row: { display: 'flex', gap: '8px', flexWrap: 'wrap', alignItems: 'center' } });

function Job(props: { job: JobView; onAction: (id: string, action: 'pause' | 'resume' | 'cancel') => void }) {
  const s = useStyles();
  const j = props.job;
  const running = j.status === 'in_progress' || j.status === 'queued';
  const share = j.total === 0 ? 1 : (j.done + j.failed) / j.total;
  return (
    <Card data-testid="job" data-job={j.id} data-status={j.status}>
      <CardHeader header={<Text weight="semibold">Job {j.id.slice(0, 8)} · {plural(j.total, 'conversation')} · {j.mode === 'batch' ? 'Message Batches' : 'direct'}</Text>} action={<StatusBadge status={j.status} />} />
      <ProgressBar value={share} thickness="large" aria-label={`Job ${j.id.slice(0, 8)} progress`} />
      <div className={s.row}>
        <Text data-testid="job-counts">Done / failed / total: {j.done} / {j.failed} / {j.total} ({Math.round(share * 100)}%)</Text>
        <Caption1>current {j.current ?? '—'}</Caption1>
        <Caption1>time left {running && j.etaMs !== null ? fmt.duration(j.etaMs / 1000) : '—'}</Caption1>
        <Caption1>cost ${j.costUsd.toFixed(4)} · {j.tokens.toLocaleString('en-US')} tokens</Caption1>
        <Caption1>created {fmt.when(j.createdAt)}</Caption1>
      </div>
      {j.error && <Caption1>{j.error}</Caption1>}
      <div className={s.row}>
        <Button size="small" disabled={!running} onClick={() => { props.onAction(j.id, 'pause'); }}>Pause</Button>
        <Button size="small" disabled={j.status !== 'paused'} onClick={() => { props.onAction(j.id, 'resume'); }}>Resume</Button>
        <Button size="small" disabled={!running && j.status !== 'paused'} onClick={() => { props.onAction(j.id, 'cancel'); }}>Cancel</Button>
      </div>
    </Card>
  );
}

export function JobsPage() {
  const s = useStyles();
  const [tick, setTick] = useState(0);
  const [message, setMessage] = useState<string | null>(null);
  const { data, error, loading, reload } = useApi(() => call(jobsResponse, '/jobs'), String(tick));
  const live = (data?.jobs ?? []).some((j) => j.status === 'in_progress' || j.status === 'queued');
  useEffect(() => {
    if (!live) return undefined;
    const timer = setTimeout(() => { setTick((t) => t + 1); }, 2000);
    return () => { clearTimeout(timer); };
  }, [live, data]);
  const act = (id: string, action: 'pause' | 'resume' | 'cancel') => {
    call(jobActionResponse, `/jobs/${id}/${action}`, { method: 'POST', body: {} }).then(
      (r) => {
        setMessage(`Job ${r.job.id.slice(0, 8)} is ${r.job.status}.`);
        reload();
      },
      (err: unknown) => { setMessage(err instanceof Error ? err.message : String(err)); },
    );
  };
  return (
    <section>
      <Title3 as="h1" block>Jobs</Title3>
      {message && <MessageBar intent="info" data-testid="job-message"><MessageBarBody>{message}</MessageBarBody></MessageBar>}
      <Loadable loading={loading} error={error} hasData={data !== null}>
        {data && (data.jobs.length === 0 ? <Text>No generation jobs yet: select planned conversations on Training data and Generate.</Text> : (
          <div className={s.list}>{data.jobs.map((j) => <Job key={j.id} job={j} onAction={act} />)}</div>
        ))}
      </Loadable>
    </section>
  );
}
