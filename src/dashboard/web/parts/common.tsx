/** Small shared pieces: paging, the multi-select filter, status badges, numbers, messages. */
import {
  Badge, Button, Combobox, Field, MessageBar, MessageBarBody, Option, Select, Spinner, Text, makeStyles, tokens,
} from '@fluentui/react-components';
import type { ReactNode } from 'react';
import { PAGE_SIZES } from '../../contract';

const useStyles = makeStyles({
  pager: { display: 'flex', alignItems: 'center', gap: '12px', marginTop: '12px', flexWrap: 'wrap' },
  filters: { display: 'flex', gap: '12px', flexWrap: 'wrap', alignItems: 'flex-end', marginBottom: '12px' },
  combo: { minWidth: '180px', maxWidth: '240px' },
});

/** Page n of m, previous / next, and the page size (25, 50, 100). */
export function Pager(props: { page: number; pageSize: number; total: number; onPage: (p: number) => void; onPageSize: (s: number) => void }) {
  const s = useStyles();
  const pages = Math.max(1, Math.ceil(props.total / props.pageSize));
  return (
    <div className={s.pager} data-testid="pager">
      <Button size="small" disabled={props.page <= 1} onClick={() => { props.onPage(props.page - 1); }}>Previous</Button>
      <Text data-testid="page-of">Page {props.page} of {pages} · {props.total} rows</Text>
      <Button size="small" disabled={props.page >= pages} onClick={() => { props.onPage(props.page + 1); }}>Next</Button>
      <Text>Rows per page</Text>
      <Select aria-label="Rows per page" value={String(props.pageSize)} onChange={(_e, d) => { props.onPageSize(Number(d.value)); }}>
        {PAGE_SIZES.map((n) => <option key={n} value={n}>{n}</option>)}
      </Select>
    </div>
  );
}

/** A row of filters. */
export function FilterBar(props: { children: ReactNode }) {
  return <div className={useStyles().filters}>{props.children}</div>;
}

/** A multi-select dropdown over `options`, its value a list. */
export function MultiSelect(props: { label: string; options: readonly string[]; value: readonly string[]; onChange: (v: string[]) => void; render?: (v: string) => string }) {
  const s = useStyles();
  const show = props.render ?? ((v: string) => v);
  return (
    <Field label={props.label}>
      <Combobox
        className={s.combo}
        multiselect
        aria-label={props.label}
        placeholder="Any"
        selectedOptions={[...props.value]}
        value={props.value.map(show).join(', ')}
        onOptionSelect={(_e, d) => { props.onChange(d.selectedOptions); }}
      >
        {props.options.map((o) => <Option key={o} value={o}>{show(o)}</Option>)}
      </Combobox>
    </Field>
  );
}

const STATUS_COLOURS: Record<string, 'informative' | 'warning' | 'success' | 'brand' | 'important' | 'subtle' | 'danger'> = {
  planned: 'subtle', in_progress: 'warning', generated: 'informative', reviewed: 'brand', approved: 'success',
  queued: 'subtle', completed: 'success', failed: 'danger', cancelled: 'important', paused: 'warning',
};

/** A colour-coded status badge (Planned, In Progress, Generated, Reviewed, Approved; job states). */
export function StatusBadge(props: { status: string }) {
  return <Badge appearance="tint" color={STATUS_COLOURS[props.status] ?? 'informative'}>{props.status.replace('_', ' ')}</Badge>;
}

/** A 1-5 score as stars and its value. */
export function Stars(props: { value: number | null }) {
  if (props.value === null) return <Text>—</Text>;
  const full = Math.round(props.value);
  return (
    <span title={props.value.toFixed(1)} aria-label={`${props.value.toFixed(1)} of 5`}>
      <span style={{ color: tokens.colorPaletteMarigoldForeground1 }}>{'★'.repeat(full)}</span>
      <span style={{ color: tokens.colorNeutralForeground4 }}>{'★'.repeat(5 - full)}</span> {props.value.toFixed(1)}
    </span>
  );
}

/** "1 turn", "3 turns". */
export function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

export const fmt = {
  num: (v: number | null | undefined, digits = 2): string => (v === null || v === undefined ? '—' : v.toFixed(digits)),
  ms: (v: number | null): string => (v === null ? '—' : v < 1000 ? `${v.toFixed(0)} ms` : `${(v / 1000).toFixed(1)} s`),
  when: (iso: string | null): string => (iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : '—'),
  usd: (v: number | null): string => (v === null ? 'unknown (no price for the model)' : `$${v.toFixed(2)}`),
  duration: (s: number): string => (s < 90 ? `${String(Math.round(s))} s` : s < 5400 ? `${String(Math.round(s / 60))} min` : `${(s / 3600).toFixed(1)} h`),
};

/** Loading, error, or the content. */
export function Loadable(props: { loading: boolean; error: string | null; hasData: boolean; children: ReactNode }) {
  return (
    <>
      {props.error && (
        <MessageBar intent="error" data-testid="error">
          <MessageBarBody>{props.error}</MessageBarBody>
        </MessageBar>
      )}
      {props.loading && !props.hasData && <Spinner label="Loading…" />}
      {props.hasData && props.children}
    </>
  );
}

/** Splits a comma list from the URL. */
export const listParam = (params: URLSearchParams, key: string): string[] => (params.get(key) ?? '').split(',').filter((v) => v.length > 0);
