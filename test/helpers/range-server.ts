/**
 * A loopback node:http server that serves one byte buffer at any path (or several, by path),
 * with Range support
 * (RFC 9110 §14) and scripted misbehaviour: drop the connection mid-body, ignore Range,
 * answer 503 a few times or forever. Records every request for assertions.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface RangeServerOptions {
  /** Cut the connection once, after this many body bytes of the object have been sent. */
  dropOnceAt?: number;
  /** With several files: only requests for this path are cut. */
  dropPath?: string;
  /** Answer 200 with the whole object whatever the Range header says. */
  ignoreRange?: boolean;
  /** Answer `failStatus` (default 503) to this many requests first. */
  failFirst?: number;
  /** Answer `failStatus` to every request. */
  alwaysFail?: boolean;
  failStatus?: number;
  /** Answer a range with at most this many bytes (RFC 9110 allows a smaller 206 than asked). */
  maxRangeBytes?: number;
  /** Called when the scripted drop happens (e.g. to replace the object before the resume). */
  onDrop?: () => void;
  /** ETag to send (strong); default derived from the size. */
  etag?: string;
}

export interface RangeServer {
  url: string;
  /** The Range header (or undefined) and the status of each request, in order. */
  requests: { range?: string; status: number }[];
  /** Swap the served bytes (to simulate an object replaced during a read). */
  setData(data: Buffer, etag?: string): void;
  stop(): Promise<void>;
}

/** `files`: one buffer served at every path, or buffers by URL path ('/a/b.warc.gz'). */
export async function startRangeServer(files: Buffer | Record<string, Buffer>, opts: RangeServerOptions = {}): Promise<RangeServer> {
  const byPath = Buffer.isBuffer(files) ? undefined : new Map(Object.entries(files));
  const initial = Buffer.isBuffer(files) ? files : Buffer.alloc(0);
  let data = initial;
  let etag = opts.etag ?? `"v1-${initial.length}"`;
  let dropsLeft = opts.dropOnceAt === undefined ? 0 : 1;
  let failsLeft = opts.failFirst ?? 0;
  const requests: RangeServer['requests'] = [];

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const range = req.headers.range;
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (byPath) {
      const found = byPath.get(path);
      if (!found) {
        requests.push({ range, status: 404 });
        res.writeHead(404).end();
        return;
      }
      data = found;
      etag = `"${path}-${found.length}"`;
    }
    const mayDrop = opts.dropPath === undefined || opts.dropPath === path;
    if (opts.alwaysFail || failsLeft > 0) {
      failsLeft--;
      const status = opts.failStatus ?? 503;
      requests.push({ range, status });
      res.writeHead(status, { 'retry-after': '0', 'content-length': 4 }).end('fail');
      return;
    }
    let start = 0;
    let end = data.length; // exclusive
    let status = 200;
    const m = range && !opts.ignoreRange ? /^bytes=(\d*)-(\d*)$/.exec(range) : null;
    const ifRange = req.headers['if-range'];
    if (m && (!ifRange || ifRange === etag)) {
      start = m[1] ? Number(m[1]) : data.length - Number(m[2]);
      end = m[1] && m[2] ? Math.min(Number(m[2]) + 1, data.length) : data.length;
      if (opts.maxRangeBytes !== undefined) end = Math.min(end, start + opts.maxRangeBytes);
      if (start >= data.length) {
        requests.push({ range, status: 416 });
        res.writeHead(416, { 'content-range': `bytes */${data.length}` }).end();
        return;
      }
      status = 206;
    }
    requests.push({ range, status });
    const headers: Record<string, string | number> = {
      'content-length': end - start,
      etag,
      'accept-ranges': opts.ignoreRange ? 'none' : 'bytes',
      'content-type': 'application/octet-stream',
    };
    if (status === 206) headers['content-range'] = `bytes ${start}-${end - 1}/${data.length}`;
    res.writeHead(status, headers);
    const body = data.subarray(start, end);
    // Write in chunks so a drop lands mid-body, and honour backpressure.
    let pos = 0;
    const pump = () => {
      while (pos < body.length) {
        const objectPos = start + pos;
        if (mayDrop && dropsLeft > 0 && objectPos < opts.dropOnceAt! && objectPos + 65536 >= opts.dropOnceAt!) {
          const cut = opts.dropOnceAt! - objectPos;
          dropsLeft--;
          opts.onDrop?.();
          res.write(body.subarray(pos, pos + cut), () => res.socket?.destroy());
          return;
        }
        const chunk = body.subarray(pos, pos + 65536);
        pos += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  };

  const server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setData(d, e) {
      data = d;
      etag = e ?? `"v2-${d.length}"`;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
