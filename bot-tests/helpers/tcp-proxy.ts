/**
 * A TCP proxy to Postgres that a test can cut and restore, to make the database "go away" and come
 * back while the bot keeps running.
 */
import net from 'node:net';

export interface TcpProxy {
  port: number;
  /** Drops every open connection and refuses new ones. */
  cut(): Promise<void>;
  /** Accepts connections again on the same port. */
  restore(): Promise<void>;
  /**
   * The next COMMIT a client sends reaches the server, but its answer never comes back: the
   * connection is dropped just after (the server commits; the client sees a lost connection).
   */
  cutAfterNextCommit(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;
  let armed = false;

  const listen = async () => {
    server = net.createServer((client) => {
      const upstream = net.connect(targetPort, targetHost);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      let severed = false;
      client.on('data', (chunk: Buffer) => {
        if (severed) return;
        upstream.write(chunk);
        // The statement itself (NUL-terminated in the protocol), not the word inside a parameter.
        if (armed && /\bcommit\0/i.test(chunk.toString('latin1'))) {
          armed = false;
          severed = true;
          // Long enough for the server to commit; its answer is not relayed.
          setTimeout(() => {
            client.destroy();
            upstream.destroy();
          }, 200);
        }
      });
      upstream.on('data', (chunk: Buffer) => {
        if (!severed) client.write(chunk);
      });
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    const address = server.address();
    port = typeof address === 'object' && address ? address.port : port;
  };
  const stop = async () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
    if (server) await new Promise<void>((resolve) => server!.close(() => { resolve(); }));
    server = null;
  };

  await listen();
  return {
    get port() {
      return port;
    },
    cut: stop,
    restore: listen,
    cutAfterNextCommit: () => {
      armed = true;
    },
    close: stop,
  };
}
