/** npm run build:dashboard (and prestart): bundles the dashboard tab into build/dashboard (src/dashboard/build.ts). */
import { buildDashboard } from '../dashboard';

buildDashboard()
  .then((r) => {
    console.log(`dashboard built: ${r.dir} (${r.script}; all chunks ${(r.bytes / 1024).toFixed(0)} KiB, ${(r.gzipBytes / 1024).toFixed(0)} KiB gzipped)`);
  })
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
