/**
 * npm run package:teams: the Teams app package (appPackage/build/tuning-bot.zip) from appPackage/ and
 * the environment (MicrosoftAppId, TEAMS_APP_ID, PUBLIC_HOST, PUBLIC_BASE_URL; .env is read too).
 */
import path from 'node:path';
import { readEnvironment } from '../config';
import { packageTeamsApp, PackageError, REPO_ROOT } from './teams-app-package';

async function main(): Promise<void> {
  const { zipPath, manifest } = await packageTeamsApp({ env: readEnvironment(path.join(REPO_ROOT, '.env')) });
  const bot = (manifest.bots as Array<{ botId: string }>)[0];
  console.log(`Teams app package written to ${path.relative(process.cwd(), zipPath) || zipPath}`);
  console.log(`  app id ${String(manifest.id)}, bot id ${bot?.botId ?? '?'}, validDomains ${JSON.stringify(manifest.validDomains ?? [])}`);
  console.log('Upload it in Teams: Apps > Manage your apps > Upload an app > Upload a custom app.');
}

main().catch((err: unknown) => {
  console.error(err instanceof PackageError ? `package:teams: ${err.message}` : err);
  process.exitCode = 1;
});
