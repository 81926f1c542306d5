/**
 * Quality (spec 001 US-TRAIN-008): score histogram, conversations by status, quality trend, quality
 * per template (recharts), validation counts, what needs review, and the bulk review actions.
 */
import { Button, MessageBar, MessageBarBody, Text, Title3, makeStyles, tokens } from '@fluentui/react-components';
import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, Pie, PieChart, Tooltip, XAxis, YAxis } from 'recharts';
import { bulkResponse, qualityResponse } from '../../contract';
import { call, download } from '../api';
import { Loadable, fmt } from '../parts/common';
import { useApi } from '../parts/use-api';
import { NavLink } from '../parts/nav-link';

const useStyles = makeStyles({
  grid: { display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(440px, 1fr))', gap: '12px' },
  panel: { backgroundColor: tokens.colorNeutralBackground1, padding: '12px', borderRadius: tokens.borderRadiusMedium },
  stats: { display: 'flex', gap: '16px', flexWrap: 'wrap', margin: '8px 0 12px 0' },
  bulk: { display: 'flex', gap: '8px', flexWrap: 'wrap', margin: '8px 0' },
});

const PALETTE = [tokens.colorPaletteBlueBorderActive, tokens.colorPaletteGreenBorderActive, tokens.colorPaletteMarigoldBorderActive, tokens.colorPaletteBerryBorderActive, tokens.colorPaletteTealBorderActive, tokens.colorPaletteRedBorderActive];
const axis = { stroke: tokens.colorNeutralForeground3, fontSize: 12 };
const tooltip = { contentStyle: { backgroundColor: tokens.colorNeutralBackground1, color: tokens.colorNeutralForeground1, border: `1px solid ${tokens.colorNeutralStroke1}` } };

export function QualityPage() {
  const s = useStyles();
  const { data, error, loading, reload } = useApi(() => call(qualityResponse, '/quality'), 'quality');
  const [bulk, setBulk] = useState<string | null>(null);
  const run = (action: 'approve_perfect' | 'flag_below_4', what: string) => {
    if (!window.confirm(`${what}?`)) return;
    call(bulkResponse, '/quality/bulk', { method: 'POST', body: { action } }).then(
      (r) => {
        setBulk(r.changed.length ? `${what}: ${r.changed.join(', ')}` : `${what}: none matched`);
        reload();
      },
      (err: unknown) => { setBulk(err instanceof Error ? err.message : String(err)); },
    );
  };
  const a = data?.averages;
  const v = data?.validation;
  return (
    <section>
      <Title3 as="h1" block>Quality</Title3>
      <Loadable loading={loading} error={error} hasData={data !== null}>
        {data && a && v && (
          <>
            <div className={s.stats} data-testid="quality-stats">
              <Text>Average overall <b>{fmt.num(a.overall)}</b> over {a.n} conversation(s)</Text>
              <Text>empathy {fmt.num(a.empathy)} · clarity {fmt.num(a.clarity)} · appropriateness {fmt.num(a.appropriateness)} · brand voice {fmt.num(a.brandVoice)}</Text>
            </div>
            <div className={s.stats} data-testid="validation">
              <Text>Complete annotation {v.complete}/{v.total}</Text>
              <Text>Ready for training {v.ready}/{v.total}</Text>
              <Text>Needing review {v.needsReview}</Text>
              <Text>Failed quality checks {v.failedChecks}</Text>
            </div>
            <div className={s.bulk}>
              <Button onClick={() => { run('approve_perfect', 'Mark all 5.0 conversations as approved'); }}>Mark all 5.0 conversations as approved</Button>
              <Button onClick={() => { run('flag_below_4', 'Flag all conversations below 4.0 for review'); }}>Flag all &lt;4.0 conversations for review</Button>
              <Button
                onClick={() => {
                  download('/quality/report.csv', 'quality-report.csv').catch((err: unknown) => { setBulk(err instanceof Error ? err.message : String(err)); });
                }}
              >
                Export quality report (CSV)
              </Button>
            </div>
            {bulk && <MessageBar intent="info" data-testid="bulk-outcome"><MessageBarBody>{bulk}</MessageBarBody></MessageBar>}
            <div className={s.grid}>
              <div className={s.panel} data-testid="histogram">
                <Text weight="semibold">Quality score distribution</Text>
                <BarChart width={420} height={240} data={data.histogram}>
                  <CartesianGrid strokeDasharray="3 3" stroke={tokens.colorNeutralStroke2} />
                  <XAxis dataKey="bucket" {...axis} tickFormatter={(b: string) => b.split('-')[0] ?? b} />
                  <YAxis allowDecimals={false} {...axis} />
                  <Tooltip {...tooltip} />
                  <Bar dataKey="n" name="conversations" fill={tokens.colorBrandBackground} isAnimationActive={false} />
                </BarChart>
              </div>
              <div className={s.panel} data-testid="status-pie">
                <Text weight="semibold">Conversations by status</Text>
                <PieChart width={420} height={240}>
                  <Pie
                    data={data.byStatus.map((e, i) => ({ ...e, fill: PALETTE[i % PALETTE.length] }))}
                    dataKey="n" nameKey="status" outerRadius={80} label={{ fill: tokens.colorNeutralForeground1, fontSize: 12 }} isAnimationActive={false}
                  />
                  <Legend />
                  <Tooltip {...tooltip} />
                </PieChart>
              </div>
              <div className={s.panel} data-testid="trend">
                <Text weight="semibold">Quality trend</Text>
                <LineChart width={420} height={240} data={data.trend} margin={{ right: 40 }}>
                  <CartesianGrid strokeDasharray="3 3" stroke={tokens.colorNeutralStroke2} />
                  <XAxis dataKey="day" {...axis} />
                  <YAxis domain={[1, 5]} {...axis} />
                  <Tooltip {...tooltip} />
                  <Line type="monotone" dataKey="average" stroke={tokens.colorBrandForeground1} dot isAnimationActive={false} />
                </LineChart>
              </div>
              <div className={s.panel} data-testid="per-template">
                <Text weight="semibold">Quality per template</Text>
                <BarChart width={420} height={240} data={data.byTemplate} layout="vertical" margin={{ left: 40 }}>
                  <CartesianGrid strokeDasharray="3 3" stroke={tokens.colorNeutralStroke2} />
                  <XAxis type="number" domain={[0, 5]} {...axis} />
                  <YAxis type="category" dataKey="template" width={110} {...axis} />
                  <Tooltip {...tooltip} />
                  <Bar dataKey="average" name="average quality" fill={tokens.colorPaletteTealBorderActive} isAnimationActive={false} />
                </BarChart>
              </div>
            </div>
            <Title3 as="h2" block>Needs review</Title3>
            {data.needsReview.length === 0 ? <Text>Nothing needs review.</Text> : data.needsReview.map((r) => (
              <Text block key={r.number}>
                <NavLink to={`/training/${String(r.number)}`}>{r.number} · {r.key}</NavLink> ({fmt.num(r.overall, 1)}): {r.issues.join('; ')}
              </Text>
            ))}
          </>
        )}
      </Loadable>
    </section>
  );
}
