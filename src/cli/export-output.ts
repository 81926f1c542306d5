/** Where a command-line export goes: stdout, or a file written whole or not at all. */
import { once } from 'node:events';
import { createWriteStream, rmSync } from 'node:fs';
import type { Writable } from 'node:stream';

/** Output of an export. A write error surfaces at the next write or at finish, never as a crash. */
export class ExportOutput {
  private failure: Error | null = null;

  private constructor(
    readonly stream: Writable,
    readonly file: string | undefined,
  ) {
    stream.on('error', (err: Error) => {
      this.failure = err;
    });
  }

  /** Opens FILE (so a bad path fails before any work), or wraps STDOUT when there is no file. */
  static async open(file: string | undefined, stdout: Writable = process.stdout): Promise<ExportOutput> {
    if (!file) return new ExportOutput(stdout, undefined);
    const stream = createWriteStream(file);
    await once(stream, 'open');
    return new ExportOutput(stream, file);
  }

  /** Writes a chunk, waiting when the destination is full. */
  async write(chunk: string): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  /** Closes the file (stdout stays open). */
  async finish(): Promise<void> {
    if (!this.file) return;
    this.stream.end();
    await once(this.stream, 'finish');
    if (this.failure) throw this.failure;
  }

  /** Removes a half-written file: it would look complete to whoever picks it up. */
  discard(): void {
    if (!this.file) return;
    this.stream.destroy();
    rmSync(this.file, { force: true });
  }
}

/**
 * Parses a point in time for --since / --until: an ISO date or date-time (UTC unless it says
 * otherwise), or an age such as 90d, 12h or 30m before NOW. Returns null when it is neither.
 */
export function parseInstant(value: string, now: Date = new Date()): Date | null {
  const v = value.trim();
  const age = /^(\d{1,6})([dhm])$/i.exec(v);
  if (age) {
    const n = Number(age[1]);
    const unit = (age[2] ?? 'd').toLowerCase();
    const ms = unit === 'd' ? 86_400_000 : unit === 'h' ? 3_600_000 : 60_000;
    return new Date(now.getTime() - n * ms);
  }
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(v)) return null;
  const iso = v.length === 10 ? `${v}T00:00:00Z` : /(Z|[+-]\d{2}:?\d{2})$/.test(v) ? v : `${v.replace(' ', 'T')}Z`;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}
