/**
 * A fault-injecting TCP proxy on loopback, put in front of an HTTP server (s3rver, a test
 * server) to show that clients survive what real networks and S3 do: connections cut
 * mid-body, resets, 503 SlowDown, slow responses.
 *
 * Faults are decided per TCP connection, from its index and the head of its first request
 * (method, path, headers), so a test can target e.g. "the first GET of key X". By default the
 * proxy rewrites each request to `Connection: close`, so a connection carries one request and a
 * per-connection fault is a per-request fault (clients then open a connection per request).
 */
import { createServer, connect, type Socket } from 'node:net';

export type Fault =
  /** Forward the response until `afterBytes` bytes went to the client, then cut both sides. */
  | { kind: 'drop'; afterBytes: number }
  /** Reset the connection (RST) before any response byte. */
  | { kind: 'reset' }
  /** Answer `503 Slow Down` (S3's throttling reply) without reaching the server. */
  | { kind: '503' }
  /** Hold the request `ms` before forwarding it (a slow response). */
  | { kind: 'delay'; ms: number };

export interface ConnectionInfo {
  /** 0-based index of the connection since the proxy started. */
  index: number;
  /** The first bytes the client sent (latin1): request line and headers of the first request. */
  firstRequest: string;
}

/** May be async: the connection waits (e.g. while the test changes the object behind it). */
export type FaultPlan = (conn: ConnectionInfo) => Fault | undefined | Promise<Fault | undefined>;

export interface FlakyProxy {
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Faults injected so far, by kind. */
  readonly injected: Record<Fault['kind'], number>;
  /** Replace the plan (e.g. to start failing after a setup phase). */
  setPlan(plan: FaultPlan | undefined): void;
  stop(): Promise<void>;
}

/** Apply `fault` to the first `times` connections whose first request matches `match`. */
export function faultWhen(match: RegExp, fault: Fault, times = 1): FaultPlan {
  let left = times;
  return ({ firstRequest }) => {
    if (left > 0 && match.test(firstRequest)) {
      left--;
      return fault;
    }
    return undefined;
  };
}

/** Apply the faults in turn to every `every`-th connection matching `match` (a chaos mix). */
export function faultCycle(match: RegExp, faults: Fault[], every = 2): FaultPlan {
  let seen = 0;
  let next = 0;
  return ({ firstRequest }) => {
    if (!match.test(firstRequest)) return undefined;
    if (seen++ % every !== 0) return undefined;
    return faults[next++ % faults.length];
  };
}

const SLOW_DOWN_BODY =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';

/** Set `Connection: close` in a request head (when the whole head is in `first`). */
function closeAfterRequest(first: Buffer): Buffer {
  const text = first.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return first;
  let head = text.slice(0, end);
  head = /\r\nconnection:[^\r]*/i.test(head)
    ? head.replace(/\r\nconnection:[^\r]*/gi, '\r\nConnection: close')
    : `${head}\r\nConnection: close`;
  return Buffer.concat([Buffer.from(head, 'latin1'), first.subarray(end)]);
}

export async function startFlakyProxy(opts: {
  targetPort: number;
  targetHost?: string;
  plan?: FaultPlan;
  /** Default true: one request per connection (see above); false keeps clients' keep-alive. */
  oneRequestPerConnection?: boolean;
}): Promise<FlakyProxy> {
  let plan = opts.plan;
  let connections = 0;
  const injected: Record<Fault['kind'], number> = { drop: 0, reset: 0, '503': 0, delay: 0 };
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  };

  const server = createServer((client) => {
    track(client);
    const index = connections++;
    client.once('data', async (first: Buffer) => {
      client.pause();
      const fault = await plan?.({ index, firstRequest: first.toString('latin1', 0, Math.min(first.length, 4096)) });
      if (fault) injected[fault.kind]++;
      if (fault?.kind === 'reset') {
        client.resetAndDestroy();
        return;
      }
      if (fault?.kind === '503') {
        client.resume(); // drain any request body
        client.end(
          'HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nRetry-After: 0\r\nConnection: close\r\n' +
            `Content-Length: ${Buffer.byteLength(SLOW_DOWN_BODY)}\r\n\r\n${SLOW_DOWN_BODY}`,
        );
        return;
      }
      const start = () => {
        if (client.destroyed) return;
        const upstream = connect(opts.targetPort, opts.targetHost ?? '127.0.0.1');
        track(upstream);
        upstream.write(opts.oneRequestPerConnection === false ? first : closeAfterRequest(first));
        client.pipe(upstream);
        client.resume();
        let sent = 0;
        const limit = fault?.kind === 'drop' ? fault.afterBytes : Infinity;
        upstream.on('data', (data: Buffer) => {
          if (sent + data.length >= limit) {
            const part = data.subarray(0, Math.max(0, limit - sent));
            sent = limit;
            upstream.destroy();
            // Flush what fits under the limit, then cut: the client sees a body that stops short.
            client.write(part, () => client.destroy());
            return;
          }
          sent += data.length;
          if (!client.write(data)) {
            upstream.pause();
            client.once('drain', () => upstream.resume());
          }
        });
        upstream.on('end', () => client.end());
        upstream.on('close', () => {
          if (sent < limit) client.end();
        });
        client.on('close', () => upstream.destroy());
      };
      if (fault?.kind === 'delay') {
        const t = setTimeout(() => {
          timers.delete(t);
          start();
        }, fault.ms);
        timers.add(t);
      } else start();
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    injected,
    setPlan(p) {
      plan = p;
    },
    async stop() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
}
