/**
 * Builds the Teams app package: appPackage/manifest.json with its ${{…}} placeholders filled from the
 * environment, checked against the manifest schema's rules for the fields it uses, zipped with the
 * two icons into appPackage/build/tuning-bot.zip (all three files at the zip's root, as Teams wants).
 *
 * Environment:
 *   MicrosoftAppId  required: the bot's Microsoft App ID (a GUID); fills bots[0].botId
 *   TEAMS_APP_ID    optional GUID; fills id (default: MicrosoftAppId, the usual choice for a bot-only app)
 *   PUBLIC_HOST     optional host name for validDomains (default: the host of PUBLIC_BASE_URL, if any)
 *
 * `npm run package:teams` runs it through src/cli/package-teams.ts; tests call packageTeamsApp() directly.
 */
import archiver, { type Archiver, type ArchiverOptions } from 'archiver';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { manifestCommands, type MenuScope } from '../bot/command-table';
import { DomainError } from '../errors';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const DEFAULT_APP_PACKAGE_DIR = path.join(REPO_ROOT, 'appPackage');
export const ZIP_NAME = 'tuning-bot.zip';

const GUID = /^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/;
const HOST = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
const PLACEHOLDER = /\$\{\{([A-Z0-9_]+)\}\}/g;
const BOT_SCOPES = ['team', 'personal', 'groupChat', 'copilot'];

const createArchive = (format: 'zip', options?: ArchiverOptions): Archiver => archiver(format, options);

/** A problem the person packaging can fix; the CLI prints its message without a stack trace. */
export class PackageError extends DomainError {}

export interface PackageOptions {
  /** Where MicrosoftAppId, TEAMS_APP_ID, PUBLIC_HOST and PUBLIC_BASE_URL are read from. */
  env: Record<string, string | undefined>;
  /** The folder holding manifest.json, color.png and outline.png. */
  appPackageDir?: string;
  /** Where the zip goes (default: <appPackageDir>/build). */
  outDir?: string;
}

export interface PackageResult {
  zipPath: string;
  manifest: Record<string, unknown>;
}

/** The values the manifest's placeholders take, or a PackageError naming the variable at fault. */
export function placeholderValues(env: Record<string, string | undefined>): Record<string, string> {
  const value = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const botId = value('MicrosoftAppId');
  if (!botId) {
    throw new PackageError(
      'MicrosoftAppId is not set. Set it (in the environment or .env) to the bot\'s Microsoft App ID, the GUID of its Azure Bot registration.',
    );
  }
  if (!GUID.test(botId)) {
    throw new PackageError(`MicrosoftAppId must be a GUID such as 00000000-0000-0000-0000-000000000000; got "${botId}".`);
  }
  const appId = value('TEAMS_APP_ID') ?? botId;
  if (!GUID.test(appId)) {
    throw new PackageError(`TEAMS_APP_ID must be a GUID such as 00000000-0000-0000-0000-000000000000; got "${appId}".`);
  }
  let host = value('PUBLIC_HOST');
  if (host !== undefined && !HOST.test(host)) {
    throw new PackageError(`PUBLIC_HOST must be a host name such as tuning-bot.example.com, without https://, port or path; got "${host}".`);
  }
  if (host === undefined) {
    const base = value('PUBLIC_BASE_URL');
    const hostname = base && URL.canParse(base) ? new URL(base).hostname : undefined;
    // A loopback address is no use to Teams clients; leave validDomains empty rather than wrong.
    if (hostname && HOST.test(hostname) && hostname !== 'localhost') host = hostname;
  }
  // The dashboard tab needs a public https address; SSO's resource names the tab's host and the app id.
  const base = value('PUBLIC_BASE_URL');
  const tabBase = base?.startsWith('https://') && URL.canParse(base) ? base.replace(/\/+$/, '') : host ? `https://${host}` : undefined;
  const tabHost = tabBase ? new URL(tabBase).host : undefined;
  return {
    TEAMS_APP_ID: appId,
    BOT_ID: botId,
    PUBLIC_HOST: host ?? '',
    DASHBOARD_URL: tabBase && tabHost !== 'localhost' ? `${tabBase}/dashboard/?host=teams` : '',
    SSO_RESOURCE: tabHost && tabHost !== 'localhost' ? `api://${tabHost}/${botId}` : '',
  };
}

/** Replaces ${{NAME}} in every string of the template; drops array items that come out empty. */
export function fillPlaceholders(template: unknown, values: Record<string, string>): unknown {
  if (typeof template === 'string') {
    return template.replace(PLACEHOLDER, (_m, name: string) => {
      const v = values[name];
      if (v === undefined) throw new PackageError(`manifest.json uses an unknown placeholder \${{${name}}}.`);
      return v;
    });
  }
  if (Array.isArray(template)) {
    return template.map((item) => fillPlaceholders(item, values)).filter((item) => item !== '');
  }
  if (template && typeof template === 'object') {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, fillPlaceholders(v, values)]));
  }
  return template;
}

/**
 * The manifest's problems against the rules of the Teams app manifest schema (v1.28) for the fields
 * this app uses, with the command limits of the older schemas (title ≤ 32, description ≤ 128,
 * ≤ 10 commands) so the package also loads in clients that validate against them. Empty when valid.
 */
export function validateManifest(manifest: unknown): string[] {
  const problems: string[] = [];
  const m = (manifest ?? {}) as Record<string, unknown>;
  const str = (where: string, v: unknown, min: number, max: number, pattern?: RegExp, what?: string): void => {
    if (typeof v !== 'string') problems.push(`${where} is missing`);
    else if (v.length < min || v.length > max) problems.push(`${where} must be ${min}–${max} characters (has ${v.length})`);
    else if (pattern && !pattern.test(v)) problems.push(`${where} must be ${what ?? `like ${pattern}`} (is "${v}")`);
  };
  const httpsUrl = /^https:\/\/[^\s]+$/;

  str('$schema', m.$schema, 1, 2048, /^https:\/\/developer\.microsoft\.com\/json-schemas\/teams\/v1\.\d+\/MicrosoftTeams\.schema\.json$/, 'the Teams schema URL');
  const schemaVersion = typeof m.$schema === 'string' ? /\/v(1\.\d+)\//.exec(m.$schema)?.[1] : undefined;
  if (m.manifestVersion !== schemaVersion) problems.push(`manifestVersion (${String(m.manifestVersion)}) must match the $schema URL (${String(schemaVersion)})`);
  str('version', m.version, 5, 256, /^\d+\.\d+\.\d+$/, 'a MAJOR.MINOR.PATCH version');
  str('id', m.id, 36, 36, GUID, 'a GUID');

  const dev = (m.developer ?? {}) as Record<string, unknown>;
  str('developer.name', dev.name, 1, 32);
  for (const key of ['websiteUrl', 'privacyUrl', 'termsOfUseUrl']) str(`developer.${key}`, dev[key], 1, 2048, httpsUrl, 'an https URL');

  const name = (m.name ?? {}) as Record<string, unknown>;
  str('name.short', name.short, 1, 30);
  if (name.full !== undefined) str('name.full', name.full, 1, 100);
  const description = (m.description ?? {}) as Record<string, unknown>;
  str('description.short', description.short, 1, 80);
  str('description.full', description.full, 1, 4000);

  const icons = (m.icons ?? {}) as Record<string, unknown>;
  str('icons.color', icons.color, 1, 2048, /^[^/\\:]+\.png$/, 'a .png file name at the package root');
  str('icons.outline', icons.outline, 1, 2048, /^[^/\\:]+\.png$/, 'a .png file name at the package root');
  str('accentColor', m.accentColor, 7, 7, /^#[0-9a-fA-F]{6}$/, 'a #rrggbb colour');

  const bots = m.bots;
  if (!Array.isArray(bots) || bots.length !== 1) problems.push('bots must hold exactly one bot');
  else {
    const bot = (bots[0] ?? {}) as Record<string, unknown>;
    str('bots[0].botId', bot.botId, 36, 36, GUID, 'a GUID');
    const scopes = bot.scopes;
    if (!Array.isArray(scopes) || scopes.length === 0 || scopes.length > 4) problems.push('bots[0].scopes must list 1–4 scopes');
    else if (scopes.some((s) => !BOT_SCOPES.includes(String(s))) || new Set(scopes).size !== scopes.length) {
      problems.push(`bots[0].scopes must be distinct values of ${BOT_SCOPES.join(', ')}`);
    }
    for (const flag of ['supportsFiles', 'isNotificationOnly']) {
      if (bot[flag] !== undefined && typeof bot[flag] !== 'boolean') problems.push(`bots[0].${flag} must be true or false`);
    }
    const lists = bot.commandLists;
    if (lists !== undefined && (!Array.isArray(lists) || lists.length > 3)) problems.push('bots[0].commandLists must be a list of at most 3');
    (Array.isArray(lists) ? lists : []).forEach((list: Record<string, unknown>, li) => {
      const where = `bots[0].commandLists[${li}]`;
      const listScopes = list.scopes;
      if (!Array.isArray(listScopes) || listScopes.length === 0) problems.push(`${where}.scopes is missing`);
      else if (listScopes.some((s) => !Array.isArray(scopes) || !scopes.includes(s))) problems.push(`${where}.scopes must be among the bot's scopes`);
      const commands = list.commands;
      if (!Array.isArray(commands) || commands.length === 0 || commands.length > 10) problems.push(`${where}.commands must hold 1–10 commands`);
      const titles = new Set<string>();
      (Array.isArray(commands) ? commands : []).forEach((c: Record<string, unknown>, ci) => {
        str(`${where}.commands[${ci}].title`, c.title, 1, 32);
        str(`${where}.commands[${ci}].description`, c.description, 1, 128);
        if (typeof c.title === 'string' && titles.has(c.title)) problems.push(`${where}.commands[${ci}].title "${c.title}" is repeated`);
        if (typeof c.title === 'string') titles.add(c.title);
      });
    });
  }

  const tabs = m.staticTabs;
  if (tabs !== undefined) {
    if (!Array.isArray(tabs) || tabs.length === 0 || tabs.length > 16) problems.push('staticTabs must hold 1–16 tabs');
    else {
      tabs.forEach((t: Record<string, unknown>, i) => {
        str(`staticTabs[${i}].entityId`, t.entityId, 1, 64);
        str(`staticTabs[${i}].name`, t.name, 1, 128);
        str(`staticTabs[${i}].contentUrl`, t.contentUrl, 1, 2048, httpsUrl, 'an https URL');
        if (!Array.isArray(t.scopes) || !t.scopes.includes('personal')) problems.push(`staticTabs[${i}].scopes must include personal`);
      });
    }
  }
  const web = m.webApplicationInfo as Record<string, unknown> | undefined;
  if (web !== undefined) {
    str('webApplicationInfo.id', web.id, 36, 36, GUID, 'a GUID');
    str('webApplicationInfo.resource', web.resource, 1, 2048, /^api:\/\/[^\s/]+\/[0-9a-fA-F-]{36}$/, 'api://<host>/<app id>');
  }
  const domains = m.validDomains;
  if (domains !== undefined) {
    if (!Array.isArray(domains) || domains.length > 100) problems.push('validDomains must be a list of at most 100 host names');
    else domains.forEach((d, i) => { str(`validDomains[${i}]`, d, 1, 2048, HOST, 'a host name without scheme, port or path'); });
  }

  const leftover = JSON.stringify(manifest).match(PLACEHOLDER);
  if (leftover) problems.push(`unfilled placeholders: ${[...new Set(leftover)].join(', ')}`);
  return problems;
}

/** Problems with an icon file: not a PNG, wrong size, or (outline) anything but white on transparent. */
export function checkIcon(file: string, kind: 'color' | 'outline'): string[] {
  const label = `${kind} icon ${path.basename(file)}`;
  if (!existsSync(file)) return [`${label} is missing (run: node -r @swc-node/register src/cli/make-icons.ts)`];
  let png: PNG;
  try {
    png = PNG.sync.read(readFileSync(file));
  } catch (err) {
    return [`${label} is not a readable PNG: ${(err as Error).message}`];
  }
  const size = kind === 'color' ? 192 : 32;
  if (png.width !== size || png.height !== size) return [`${label} must be ${size}×${size} pixels (is ${png.width}×${png.height})`];
  if (kind === 'color') return [];

  let drawn = 0;
  let offWhite = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    if (png.data[i + 3] === 0) continue;
    drawn++;
    if (png.data[i] !== 255 || png.data[i + 1] !== 255 || png.data[i + 2] !== 255) offWhite++;
  }
  const problems: string[] = [];
  if (drawn === 0) problems.push(`${label} is fully transparent`);
  if (offWhite > 0) problems.push(`${label} must be pure white on transparent; ${offWhite} visible pixel(s) are another colour`);
  const corners = [0, size - 1, size * (size - 1), size * size - 1];
  if (corners.some((p) => png.data[p * 4 + 3] !== 0)) problems.push(`${label} must have a transparent background (a corner pixel is not transparent)`);
  return problems;
}

function zip(zipPath: string, files: Array<{ name: string; data: Buffer }>): Promise<void> {
  return new Promise((resolve, reject) => {
    const output = createWriteStream(zipPath);
    const archive = createArchive('zip', { zlib: { level: 9 } });
    output.on('close', () => { resolve(); });
    output.on('error', reject);
    archive.on('error', reject);
    archive.on('warning', reject);
    archive.pipe(output);
    for (const f of files) archive.append(f.data, { name: f.name, date: new Date('2000-01-01T00:00:00Z') });
    void archive.finalize().catch(reject);
  });
}

/**
 * The manifest with its bot's command menu (bots[0].commandLists) derived from the bot's command table:
 * the same commands in every scope the bot has, so the menu never drifts from what the bot understands.
 */
export function withCommandMenu(manifest: Record<string, unknown>): Record<string, unknown> {
  const bots = Array.isArray(manifest.bots) ? (manifest.bots as unknown[]) : [];
  return {
    ...manifest,
    bots: bots.map((b, i) => {
      if (i !== 0 || b === null || typeof b !== 'object') return b;
      const bot = b as Record<string, unknown>;
      const scopes = Array.isArray(bot.scopes) ? bot.scopes.filter((s): s is MenuScope => s === 'personal' || s === 'groupChat' || s === 'team') : [];
      return { ...bot, commandLists: scopes.map((scope) => ({ scopes: [scope], commands: manifestCommands(scope) })) };
    }),
  };
}

/** Fills, validates and zips the app package. Throws PackageError listing every problem found. */
export async function packageTeamsApp(options: PackageOptions): Promise<PackageResult> {
  const dir = options.appPackageDir ?? DEFAULT_APP_PACKAGE_DIR;
  const outDir = options.outDir ?? path.join(dir, 'build');
  const values = placeholderValues(options.env);

  let template: unknown;
  try {
    template = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  } catch (err) {
    throw new PackageError(`cannot read ${path.join(dir, 'manifest.json')}: ${(err as Error).message}`);
  }
  const manifest = withCommandMenu(fillPlaceholders(template, values) as Record<string, unknown>);
  // Without a public https address there is nowhere for Teams to load the tab from: leave it (and SSO) out.
  if (values.DASHBOARD_URL === '') {
    delete manifest.staticTabs;
    delete manifest.webApplicationInfo;
  }
  const icons = (manifest.icons ?? {}) as { color?: string; outline?: string };
  const problems = [
    ...validateManifest(manifest),
    ...(icons.color ? checkIcon(path.join(dir, icons.color), 'color') : []),
    ...(icons.outline ? checkIcon(path.join(dir, icons.outline), 'outline') : []),
  ];
  if (problems.length > 0) throw new PackageError(`The Teams app package is not valid:\n  - ${problems.join('\n  - ')}`);

  mkdirSync(outDir, { recursive: true });
  const zipPath = path.join(outDir, ZIP_NAME);
  rmSync(zipPath, { force: true });
  await zip(zipPath, [
    { name: 'manifest.json', data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`) },
    { name: icons.color as string, data: readFileSync(path.join(dir, icons.color as string)) },
    { name: icons.outline as string, data: readFileSync(path.join(dir, icons.outline as string)) },
  ]);
  return { zipPath, manifest };
}
