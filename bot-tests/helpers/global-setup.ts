/**
 * Jest global setup: builds the dashboard bundle once before any suite, so the tab's pages are served
 * by the tests exactly as `npm start` serves them (build output is never committed).
 */
import { buildDashboard } from '../../src/dashboard/build';

export default async function globalSetup(): Promise<void> {
  await buildDashboard();
}
