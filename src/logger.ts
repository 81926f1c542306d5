/** Structured logs: one JSON line per event. */
import pino, { type Logger } from 'pino';

export type { Logger };

/** A logger writing JSON lines to stdout at the given level. */
export function createLogger(level: pino.LevelWithSilent, destination?: pino.DestinationStream): Logger {
  return pino({ level, base: { app: 'tuning-bot' }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}
