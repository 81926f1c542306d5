/** The generation confirmation, as on the Teams card: count, estimated time, cost and the batch price. */
import {
  Button, Dialog, DialogActions, DialogBody, DialogContent, DialogSurface, DialogTitle, MessageBar, MessageBarBody, Spinner, Text,
} from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { type EstimateResponse, estimateResponse, generateResponse } from '../../contract';
import { call } from '../api';
import { fmt } from '../parts/common';

export function GenerateDialog(props: { ids: string[]; open: boolean; onClose: () => void; onStarted: (jobId: string, existing: boolean) => void }) {
  const [estimate, setEstimate] = useState<EstimateResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const key = props.ids.join(',');
  useEffect(() => {
    if (!props.open) return;
    setEstimate(null);
    setError(null);
    call(estimateResponse, '/training/estimate', { method: 'POST', body: { ids: props.ids } }).then(setEstimate, (err: unknown) => { setError(err instanceof Error ? err.message : String(err)); });
    // The selection's key stands for the ids: a new array with the same ids asks for no new estimate.
  }, [props.open, key]);
  const start = (mode: 'direct' | 'batch') => {
    setBusy(true);
    call(generateResponse, '/training/generate', { method: 'POST', body: { ids: props.ids, mode } }).then(
      (r) => {
        setBusy(false);
        props.onStarted(r.jobId, r.existing);
      },
      (err: unknown) => {
        setBusy(false);
        setError(err instanceof Error ? err.message : String(err));
      },
    );
  };
  const e = estimate;
  return (
    <Dialog open={props.open} onOpenChange={(_ev, d) => { if (!d.open) props.onClose(); }}>
      <DialogSurface aria-label="Generate conversations">
        <DialogBody>
          <DialogTitle>{e ? `Generate ${String(e.count)} conversation(s)?` : 'Generate conversations'}</DialogTitle>
          <DialogContent>
            {error && <MessageBar intent="error"><MessageBarBody>{error}</MessageBarBody></MessageBar>}
            {!e && !error && <Spinner size="small" label="Estimating…" />}
            {e && (
              <div data-testid="estimate">
                <Text block>Conversations: {e.count}{e.notPlanned.length ? ` (not planned, left out: ${e.notPlanned.join(', ')})` : ''}</Text>
                <Text block>Estimated time: {fmt.duration(e.seconds)}</Text>
                <Text block>Estimated cost: about {fmt.usd(e.costUsd)}</Text>
                <Text block>As a batch: about {fmt.usd(e.batchCostUsd)}, within 24 h</Text>
                <Text block>Model: {e.model}. Conversations are generated one at a time to stay within the API's rate limits.</Text>
                {!e.online && <MessageBar intent="warning"><MessageBarBody>Generation needs Claude: set ANTHROPIC_API_KEY and restart the bot.</MessageBarBody></MessageBar>}
              </div>
            )}
          </DialogContent>
          <DialogActions>
            <Button appearance="primary" disabled={!e || e.count === 0 || !e.online || busy} onClick={() => { start('direct'); }}>Start</Button>
            <Button disabled={!e || e.count === 0 || !e.online || busy} onClick={() => { start('batch'); }}>Start as a batch (half price)</Button>
            <Button onClick={props.onClose}>Cancel</Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
