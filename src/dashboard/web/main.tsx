/** Entry point: find the host (Teams or a browser), wire the API's token source, render the app. */
import { createRoot } from 'react-dom/client';
import { setTokenSource } from './api';
import { App } from './app';
import { detectHost } from './host';

async function start(): Promise<void> {
  const host = await detectHost();
  setTokenSource(() => host.token());
  const root = document.getElementById('root');
  if (!root) throw new Error('no #root element');
  document.body.style.margin = '0';
  createRoot(root).render(<App host={host} />);
}

start().catch((err: unknown) => {
  document.body.textContent = `The dashboard could not start: ${err instanceof Error ? err.message : String(err)}`;
});
