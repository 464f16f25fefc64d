/**
 * A real S3-protocol server (s3rver) on a random loopback port, in a temp dir, for tests that
 * read from or write to S3. Credentials are s3rver's fixed pair; `env` carries everything a
 * child process (the CLI) needs to reach it through openStorage/openInput.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import crypto from 'node:crypto';
import S3rver from 's3rver';

/**
 * s3rver encrypts ListObjectsV2 continuation tokens with single DES, which OpenSSL 3 (Node >= 17)
 * only has in its legacy provider: every truncated listing fails with InternalError. Single DES
 * equals 3DES with the key repeated three times, which OpenSSL 3 still ships, so alias it, in
 * this test process only and only when 'des' is missing.
 */
function enableDesForS3rver(): void {
  try {
    crypto.createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
    return;
  } catch {
    // fall through: patch
  }
  const triple = (key: crypto.CipherKey) => Buffer.concat(Array(3).fill(Buffer.from(key as Buffer)));
  const { createCipheriv, createDecipheriv } = crypto;
  const c = crypto as { createCipheriv: unknown; createDecipheriv: unknown };
  c.createCipheriv = (alg: string, key: crypto.CipherKey, iv: crypto.BinaryLike | null, o?: unknown) =>
    alg === 'des' ? createCipheriv('des-ede3-cbc', triple(key), iv) : createCipheriv(alg, key, iv, o as never);
  c.createDecipheriv = (alg: string, key: crypto.CipherKey, iv: crypto.BinaryLike | null, o?: unknown) =>
    alg === 'des' ? createDecipheriv('des-ede3-cbc', triple(key), iv) : createDecipheriv(alg, key, iv, o as never);
}

export interface RunningS3 {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  bucket: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION for a child process. */
  env: Record<string, string>;
  /** Options for s3Storage/openStorage/openInput pointing at this server. */
  s3Options(endpoint?: string): { endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string }; region: string; forcePathStyle: true };
  stop(): Promise<void>;
}

export async function startS3rver(opts: { bucket?: string; buckets?: string[] } = {}): Promise<RunningS3> {
  enableDesForS3rver();
  const bucket = opts.bucket ?? 'refinery-test';
  const directory = await mkdtemp(join(tmpdir(), 'refinery-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [bucket, ...(opts.buckets ?? [])].map((name) => ({ name })),
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  return {
    endpoint,
    port,
    bucket,
    credentials,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_REGION: 'us-east-1',
    },
    s3Options: (ep = endpoint) => ({ endpoint: ep, credentials, region: 'us-east-1', forcePathStyle: true }),
    async stop() {
      // Keep-alive sockets of SDK clients would hold close() open for seconds.
      server.httpServer?.closeAllConnections();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
