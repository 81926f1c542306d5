/** A real pino logger whose JSON lines are kept for assertions. */
import { createLogger, type Logger } from '../../src/logger';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}
