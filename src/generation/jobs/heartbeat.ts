/**
 * The heartbeat of a direct-mode claim: while a conversation is generated, the item's lease is pushed
 * forward every `everyMs`, so a live worker keeps its item however long Claude takes, and a killed one
 * (no heartbeat any more) loses it when the lease runs out.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../../db';
import type { Logger } from '../../logger';
import { type ClaimedItem, renewLease } from './claims';

/** Calls `beat` every `ms` until stopped. Tests pass one they drive by hand. */
export interface Ticker {
  every(ms: number, beat: () => Promise<void>): () => void;
}

/** The real ticker: a timer that does not keep the process alive. */
export const intervalTicker: Ticker = {
  every(ms, beat) {
    const timer = setInterval(() => {
      // beat() handles its own errors (see startHeartbeat).
      void beat();
    }, ms);
    timer.unref();
    return () => {
      clearInterval(timer);
    };
  },
};

export interface HeartbeatOptions {
  db: Kysely<Database>;
  item: ClaimedItem;
  workerId: string;
  leaseMs: number;
  everyMs: number;
  ticker: Ticker;
  now: () => number;
  logger: Logger;
  /** The claim is gone (another worker took the item over): stop working on it. */
  onLost: () => void;
}

/** Starts renewing the claim's lease; the returned function stops it and waits for a renewal in flight. */
export function startHeartbeat(o: HeartbeatOptions): () => Promise<void> {
  let inFlight: Promise<void> = Promise.resolve();
  const beat = (): Promise<void> => {
    inFlight = inFlight
      .then(async () => {
        const kept = await renewLease(o.db, o.item, o.workerId, new Date(o.now() + o.leaseMs));
        if (!kept) o.onLost();
      })
      .catch((err: unknown) => {
        o.logger.warn({ err, conversationId: o.item.conversation_id }, 'lease renewal failed; trying again at the next beat');
      });
    return inFlight;
  };
  const stop = o.ticker.every(o.everyMs, beat);
  return async () => {
    stop();
    await inFlight;
  };
}
