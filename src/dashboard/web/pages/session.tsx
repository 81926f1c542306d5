/** One session: every turn with its sources, topic, notes (and scores when the tuning loop gives them). */
import { Badge, Body1, Caption1, Card, CardHeader, Text, Title3, makeStyles, tokens } from '@fluentui/react-components';
import { sessionDetailResponse, type SessionTurn } from '../../contract';
import { call } from '../api';
import { Loadable, fmt, plural } from '../parts/common';
import { useApi } from '../parts/use-api';
import { NavLink } from '../parts/nav-link';

const useStyles = makeStyles({
  turns: { display: 'flex', flexDirection: 'column', gap: '12px', marginTop: '12px' },
  q: { fontWeight: tokens.fontWeightSemibold },
  answer: { whiteSpace: 'pre-wrap' },
  meta: { display: 'flex', gap: '8px', flexWrap: 'wrap', color: tokens.colorNeutralForeground3 },
  sources: { margin: '4px 0 0 0', paddingLeft: '20px' },
  note: { borderLeft: `3px solid ${tokens.colorBrandStroke1}`, paddingLeft: '8px', marginTop: '4px' },
});

function Turn(props: { t: SessionTurn }) {
  const s = useStyles();
  const t = props.t;
  return (
    <Card data-testid="turn">
      <CardHeader header={<Text className={s.q}>{t.number}. {t.userMessage}</Text>} description={<Caption1>{fmt.when(t.at)}</Caption1>} />
      <Body1 className={s.answer}>{t.eraResponse}</Body1>
      <div className={s.meta}>
        {t.topic && <Badge appearance="tint">{t.topic.label}{t.topic.corrected ? ' (corrected)' : ` ${fmt.num(t.topic.confidence)}`}</Badge>}
        <Caption1>processing {fmt.ms(t.processingMs)}</Caption1>
        <Caption1>avg similarity {fmt.num(t.avgSimilarity)}</Caption1>
        <Caption1>confidence {fmt.num(t.confidence)}</Caption1>
        {t.template && <Caption1>template {t.template}</Caption1>}
        {t.scores && <Caption1>judge: professionalism {fmt.num(t.scores.professionalism, 0)} · empathy {fmt.num(t.scores.empathy, 0)} · clarity {fmt.num(t.scores.clarity, 0)}</Caption1>}
      </div>
      {t.sources.length > 0 && (
        <div>
          <Caption1>Sources</Caption1>
          <ol className={s.sources}>
            {t.sources.map((src) => <li key={src.chunkId} title={src.text}>{src.title} · {fmt.num(src.similarity)}</li>)}
          </ol>
        </div>
      )}
      {t.notes.map((n) => (
        <div key={n.id} className={s.note} data-testid="note">
          <Caption1 block>{n.category ?? 'no category'} · {fmt.when(n.at)}</Caption1>
          <Body1 block>{n.text}</Body1>
        </div>
      ))}
    </Card>
  );
}

export function SessionPage(props: { id: string }) {
  const s = useStyles();
  const { data, error, loading } = useApi(() => call(sessionDetailResponse, `/sessions/${encodeURIComponent(props.id)}`), props.id);
  return (
    <section>
      <div><NavLink to='/sessions'>← Sessions</NavLink></div>
      <Loadable loading={loading} error={error} hasData={data !== null}>
        {data && (
          <>
            <Title3 as="h1" block>Session {data.session.id.slice(0, 8)}</Title3>
            <div className={s.meta}>
              <Caption1>{data.session.testerName ?? data.session.testerId ?? ''}</Caption1>
              <Caption1>started {fmt.when(data.session.start)}</Caption1>
              <Caption1>prompt {data.session.promptVersion ?? '—'}{data.session.branch ? ` on ${data.session.branch}` : ''}</Caption1>
              <Caption1>{plural(data.session.turns, 'turn')} · {plural(data.session.notes, 'note')}</Caption1>
            </div>
            <div className={s.turns}>{data.turns.map((t) => <Turn key={t.id} t={t} />)}</div>
          </>
        )}
      </Loadable>
    </section>
  );
}
