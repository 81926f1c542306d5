/**
 * The Teams app package: the manifest template, the icons, and src/cli/teams-app-package.ts, which fills
 * the placeholders from an environment, validates, and zips. The zip is read back through its
 * central directory (no unzip library: the format is small enough to read here).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { PNG } from 'pngjs';
import {
  checkIcon,
  DEFAULT_APP_PACKAGE_DIR,
  fillPlaceholders,
  packageTeamsApp,
  PackageError,
  placeholderValues,
  validateManifest,
  withCommandMenu,
  ZIP_NAME,
} from '../src/cli/teams-app-package';

const BOT_ID = '3f2b6c1e-8a4d-4c2b-9e7f-1a2b3c4d5e6f';
const APP_ID = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const APP_DIR = DEFAULT_APP_PACKAGE_DIR;

const COMMANDS: Array<[string, string]> = [
  ['help', 'What the bot does and its commands'],
  ['new', 'Close the open session and start a new one'],
  ['end', 'End the session with a summary'],
  ['export', 'Download a session as CSV: export [session] [anonymize]'],
  ['sessions', 'Your last ten sessions'],
  ['stats', 'Session statistics: stats [session]'],
  ['prompt', 'The prompt file and its version'],
  ['prompts', 'Captured prompts and topics: prompts retraining 30 | review 0.7'],
  ['suggest', "Prompt edits from a session's notes: suggest [session]"],
  ['practices', 'Best practices from the best-rated replies: practices [search]'],
];
/**
 * The personal chat's menu also offers the dashboard link; a group chat does not (the link is personal).
 * Ten entries at most per scope: in the personal menu /prompt gives way (still a command).
 */
const PERSONAL_COMMANDS: Array<[string, string]> = [
  ...COMMANDS.filter(([name]) => name !== 'prompt' && name !== 'practices'),
  ['dashboard', 'A sign-in link to the dashboard for your browser'],
  ['practices', 'Best practices from the best-rated replies: practices [search]'],
];

/** Entries of a zip file, from its central directory; data inflated when deflated. */
function readZip(file: string): Map<string, Buffer> {
  const zip = readFileSync(file);
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('no end-of-central-directory record');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const entries = new Map<string, Buffer>();
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error(`bad central directory entry at ${p}`);
    const method = zip.readUInt16LE(p + 10);
    const compressedSize = zip.readUInt32LE(p + 20);
    const nameLength = zip.readUInt16LE(p + 28);
    const extraLength = zip.readUInt16LE(p + 30);
    const commentLength = zip.readUInt16LE(p + 32);
    const localOffset = zip.readUInt32LE(p + 42);
    const name = zip.toString('utf8', p + 46, p + 46 + nameLength);
    const localNameLength = zip.readUInt16LE(localOffset + 26);
    const localExtraLength = zip.readUInt16LE(localOffset + 28);
    const start = localOffset + 30 + localNameLength + localExtraLength;
    const raw = zip.subarray(start, start + compressedSize);
    entries.set(name, method === 8 ? inflateRawSync(raw) : Buffer.from(raw));
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function template(): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(APP_DIR, 'manifest.json'), 'utf8')) as Record<string, unknown>;
}

function filledTemplate(): Record<string, unknown> {
  return withCommandMenu(
    fillPlaceholders(template(), {
      TEAMS_APP_ID: APP_ID,
      BOT_ID,
      PUBLIC_HOST: 'tuning.fabrikam.com',
      DASHBOARD_URL: 'https://tuning.fabrikam.com/dashboard/?host=teams',
      SSO_RESOURCE: `api://tuning.fabrikam.com/${BOT_ID}`,
    }) as Record<string, unknown>,
  );
}

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'teams-package-'));
});
afterEach(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('the manifest template', () => {
  test('is valid once its placeholders are filled', () => {
    expect(validateManifest(filledTemplate())).toEqual([]);
  });

  test('uses placeholders for the ids and the public host, not hard-coded values', () => {
    const m = template();
    expect(m.id).toBe('${{TEAMS_APP_ID}}');
    expect((m.bots as Array<{ botId: string }>)[0]?.botId).toBe('${{BOT_ID}}');
    expect(m.validDomains).toEqual(['${{PUBLIC_HOST}}']);
    expect(m.$schema).toBe(`https://developer.microsoft.com/json-schemas/teams/v${String(m.manifestVersion)}/MicrosoftTeams.schema.json`);
  });

  test('declares one conversational, file-capable bot in personal and group chat with the command menu for both', () => {
    // The menu comes from the bot's command table (src/bot/command-table.ts), not the template.
    const bot = (withCommandMenu(template()).bots as Array<Record<string, unknown>>)[0] ?? {};
    expect(bot.scopes).toEqual(['personal', 'groupChat']);
    expect(bot.supportsFiles).toBe(true);
    expect(bot.isNotificationOnly).toBe(false);
    const lists = bot.commandLists as Array<{ scopes: string[]; commands: Array<{ title: string; description: string }> }>;
    expect(lists.map((l) => l.scopes)).toEqual([['personal'], ['groupChat']]);
    expect(lists[0]?.commands.map((c) => [c.title, c.description])).toEqual(PERSONAL_COMMANDS);
    expect(lists[1]?.commands.map((c) => [c.title, c.description])).toEqual(COMMANDS);
  });

  test('declares the Dashboard personal tab on the public address and SSO for it (webApplicationInfo)', () => {
    const m = template();
    expect(m.staticTabs).toEqual([{ entityId: 'dashboard', name: 'Dashboard', contentUrl: '${{DASHBOARD_URL}}', scopes: ['personal'] }]);
    expect(m.webApplicationInfo).toEqual({ id: '${{BOT_ID}}', resource: '${{SSO_RESOURCE}}' });
    const v = placeholderValues({ MicrosoftAppId: BOT_ID, PUBLIC_BASE_URL: 'https://bot.fabrikam.com/base/' });
    expect(v.DASHBOARD_URL).toBe('https://bot.fabrikam.com/base/dashboard/?host=teams');
    expect(v.SSO_RESOURCE).toBe(`api://bot.fabrikam.com/${BOT_ID}`);
    expect(placeholderValues({ MicrosoftAppId: BOT_ID, PUBLIC_HOST: 'tab.fabrikam.com' }).DASHBOARD_URL).toBe('https://tab.fabrikam.com/dashboard/?host=teams');
    expect(placeholderValues({ MicrosoftAppId: BOT_ID, PUBLIC_BASE_URL: 'http://localhost:3978' }).DASHBOARD_URL).toBe('');
  });

  test('the validator rejects what the schema rejects', () => {
    const m = filledTemplate();
    const bot = (m.bots as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
    const list = (bot.commandLists as Array<{ commands: Array<{ title: string; description: string }> }>)[0];
    if (!list?.commands[0]) throw new Error('template has no commands');
    list.commands[0].title = 'x'.repeat(33);
    list.commands[0].description = 'y'.repeat(129);
    (m.name as Record<string, string>).short = 'n'.repeat(31);
    (m.description as Record<string, string>).short = 'd'.repeat(81);
    m.accentColor = 'purple';
    m.id = 'not-a-guid';
    bot.scopes = ['personal', 'meeting'];
    m.validDomains = ['https://tuning.fabrikam.com/'];
    const tab = (m.staticTabs as Array<Record<string, unknown>>)[0];
    if (!tab) throw new Error('template has no tab');
    tab.contentUrl = 'http://tuning.fabrikam.com/dashboard/';
    (m.webApplicationInfo as Record<string, unknown>).resource = 'https://tuning.fabrikam.com';
    const problems = validateManifest(m).join('\n');
    for (const field of [
      'commandLists[0].commands[0].title',
      'commandLists[0].commands[0].description',
      'name.short',
      'description.short',
      'accentColor',
      'id must be',
      'bots[0].scopes',
      'validDomains[0]',
      'staticTabs[0].contentUrl',
      'webApplicationInfo.resource',
    ]) {
      expect(problems).toContain(field);
    }
  });

  test('the validator reports placeholders left unfilled', () => {
    expect(validateManifest(template()).join('\n')).toContain('unfilled placeholders: ${{TEAMS_APP_ID}}');
  });
});

describe('the icons', () => {
  const read = (name: string) => PNG.sync.read(readFileSync(path.join(APP_DIR, name)));

  test('color.png is 192×192 and opaque in the middle', () => {
    const png = read('color.png');
    expect([png.width, png.height]).toEqual([192, 192]);
    const centre = (96 * 192 + 96) * 4;
    expect(png.data[centre + 3]).toBe(255);
    expect(checkIcon(path.join(APP_DIR, 'color.png'), 'color')).toEqual([]);
  });

  test('outline.png is 32×32, pure white wherever it is visible, on a transparent background', () => {
    const png = read('outline.png');
    expect([png.width, png.height]).toEqual([32, 32]);
    let visible = 0;
    let transparent = 0;
    for (let i = 0; i < png.data.length; i += 4) {
      if (png.data[i + 3] === 0) {
        transparent++;
        continue;
      }
      visible++;
      expect([png.data[i], png.data[i + 1], png.data[i + 2]]).toEqual([255, 255, 255]);
    }
    expect(visible).toBeGreaterThan(50);
    expect(transparent).toBeGreaterThan(300);
    for (const [x, y] of [[0, 0], [31, 0], [0, 31], [31, 31]] as const) expect(png.data[(y * 32 + x) * 4 + 3]).toBe(0);
    expect(checkIcon(path.join(APP_DIR, 'outline.png'), 'outline')).toEqual([]);
  });

  test('checkIcon catches a coloured outline, an opaque background and a wrong size', () => {
    const bad = new PNG({ width: 32, height: 32 });
    bad.data.fill(255);
    bad.data[0] = 200; // first pixel: off-white and opaque
    const badOutline = path.join(tmp, 'outline.png');
    writeFileSync(badOutline, PNG.sync.write(bad));
    const problems = checkIcon(badOutline, 'outline').join('\n');
    expect(problems).toContain('pure white');
    expect(problems).toContain('transparent background');
    expect(checkIcon(badOutline, 'color').join('\n')).toContain('must be 192×192');
    expect(checkIcon(path.join(tmp, 'missing.png'), 'color').join('\n')).toContain('missing');
  });
});

describe('packageTeamsApp', () => {
  test('writes manifest.json, color.png and outline.png at the root of the zip, with the ids filled in', async () => {
    const { zipPath } = await packageTeamsApp({
      env: { MicrosoftAppId: BOT_ID, PUBLIC_HOST: 'tuning.fabrikam.com' },
      outDir: tmp,
    });
    expect(zipPath).toBe(path.join(tmp, ZIP_NAME));
    const entries = readZip(zipPath);
    expect([...entries.keys()].sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    const manifest = JSON.parse((entries.get('manifest.json') as Buffer).toString('utf8')) as Record<string, unknown>;
    expect(manifest.id).toBe(BOT_ID);
    expect((manifest.bots as Array<{ botId: string }>)[0]?.botId).toBe(BOT_ID);
    expect(manifest.validDomains).toEqual(['tuning.fabrikam.com']);
    expect(JSON.stringify(manifest)).not.toContain('${{');
    expect(validateManifest(manifest)).toEqual([]);
    expect((entries.get('color.png') as Buffer).equals(readFileSync(path.join(APP_DIR, 'color.png')))).toBe(true);
    expect((entries.get('outline.png') as Buffer).equals(readFileSync(path.join(APP_DIR, 'outline.png')))).toBe(true);
  });

  test('the tab and SSO come with a public address and are left out without one', async () => {
    const withHost = await packageTeamsApp({ env: { MicrosoftAppId: BOT_ID, PUBLIC_BASE_URL: 'https://tuning.fabrikam.com' }, outDir: tmp });
    expect(withHost.manifest.staticTabs).toEqual([{ entityId: 'dashboard', name: 'Dashboard', contentUrl: 'https://tuning.fabrikam.com/dashboard/?host=teams', scopes: ['personal'] }]);
    expect(withHost.manifest.webApplicationInfo).toEqual({ id: BOT_ID, resource: `api://tuning.fabrikam.com/${BOT_ID}` });
    const local = await packageTeamsApp({ env: { MicrosoftAppId: BOT_ID, PUBLIC_BASE_URL: 'http://localhost:3978' }, outDir: tmp });
    expect(local.manifest.staticTabs).toBeUndefined();
    expect(local.manifest.webApplicationInfo).toBeUndefined();
  });

  test('TEAMS_APP_ID sets the app id apart from the bot id', async () => {
    const { zipPath } = await packageTeamsApp({ env: { MicrosoftAppId: BOT_ID, TEAMS_APP_ID: APP_ID }, outDir: tmp });
    const manifest = JSON.parse((readZip(zipPath).get('manifest.json') as Buffer).toString('utf8')) as Record<string, unknown>;
    expect(manifest.id).toBe(APP_ID);
    expect((manifest.bots as Array<{ botId: string }>)[0]?.botId).toBe(BOT_ID);
  });

  test('validDomains comes from PUBLIC_BASE_URL when PUBLIC_HOST is unset, and is empty for neither or localhost', async () => {
    expect(placeholderValues({ MicrosoftAppId: BOT_ID, PUBLIC_BASE_URL: 'https://bot.fabrikam.com/base' }).PUBLIC_HOST).toBe('bot.fabrikam.com');
    expect(placeholderValues({ MicrosoftAppId: BOT_ID, PUBLIC_BASE_URL: 'http://localhost:3978' }).PUBLIC_HOST).toBe('');
    const { manifest } = await packageTeamsApp({ env: { MicrosoftAppId: BOT_ID }, outDir: tmp });
    expect(manifest.validDomains).toEqual([]);
  });

  test.each([
    ['MicrosoftAppId is missing', {}, /MicrosoftAppId is not set/],
    ['MicrosoftAppId is blank', { MicrosoftAppId: '  ' }, /MicrosoftAppId is not set/],
    ['MicrosoftAppId is not a GUID', { MicrosoftAppId: 'my-bot' }, /MicrosoftAppId must be a GUID.*"my-bot"/],
    ['TEAMS_APP_ID is not a GUID', { MicrosoftAppId: BOT_ID, TEAMS_APP_ID: '123' }, /TEAMS_APP_ID must be a GUID/],
    ['PUBLIC_HOST is a URL', { MicrosoftAppId: BOT_ID, PUBLIC_HOST: 'https://bot.fabrikam.com' }, /PUBLIC_HOST must be a host name/],
  ])('refuses an environment where %s, naming the variable, and writes nothing', async (_label, env, message) => {
    const attempt = packageTeamsApp({ env, outDir: tmp });
    await expect(attempt).rejects.toThrow(PackageError);
    await expect(attempt).rejects.toThrow(message);
    expect(existsSync(path.join(tmp, ZIP_NAME))).toBe(false);
  });

  test('refuses an app package whose outline icon is not white on transparent', async () => {
    const dir = path.join(tmp, 'app');
    const out = path.join(tmp, 'out');
    mkdirSync(dir);
    copyFileSync(path.join(APP_DIR, 'manifest.json'), path.join(dir, 'manifest.json'));
    copyFileSync(path.join(APP_DIR, 'color.png'), path.join(dir, 'color.png'));
    copyFileSync(path.join(APP_DIR, 'color.png'), path.join(dir, 'outline.png'));
    await expect(packageTeamsApp({ env: { MicrosoftAppId: BOT_ID }, appPackageDir: dir, outDir: out })).rejects.toThrow(
      /outline icon outline\.png must be 32×32/,
    );
    expect(existsSync(path.join(out, ZIP_NAME))).toBe(false);
  });
});
