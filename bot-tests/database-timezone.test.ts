/**
 * TIMESTAMP columns hold UTC. A process whose local time zone is not UTC must still write and read
 * Dates as UTC (pg would otherwise send local wall-clock time without an offset). Jest cannot change
 * its own time zone once started, so each check runs in a child process under TZ=America/New_York.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { createTestDatabase, testDbKinds } from './helpers/db';

const ROOT = path.resolve(__dirname, '..');

function roundTrip(args: string[]): Promise<{ tz: string; offsetMinutes: number; written: string; read: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-r', '@swc-node/register', path.join(__dirname, 'helpers/tz-roundtrip.ts'), ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, TZ: 'America/New_York' } },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout));
      });
  });
}

describe.each(testDbKinds)('Dates and TIMESTAMP columns in a non-UTC process on %s', (kind) => {
  it('writes and reads a Date as UTC wall-clock time', async () => {
    const t = kind === 'postgres' ? await createTestDatabase('postgres', { migrate: false }) : null;
    try {
      const r = await roundTrip(kind === 'postgres' ? ['postgres', t!.url!] : ['pglite']);
      // The child really ran five hours behind UTC (January: EST).
      expect(r.tz).toBe('America/New_York');
      expect(r.offsetMinutes).toBe(300);
      expect(r.written).toBe('2026-01-15 12:00:00');
      expect(r.read).toBe('2026-01-15T12:00:00.000Z');
    } finally {
      await t?.dispose();
    }
  }, 60_000);
});
