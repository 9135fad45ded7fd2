import { createHmac, timingSafeEqual } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { ObjectChangedError, type Clock, type ObjectStore, type ObjectUrl } from '../../ports';

/**
 * A local object's ETag: its inode, change time in nanoseconds and size. Every upload and write
 * renames a new file into place, so replaced bytes always get another ETag.
 */
const statOf = (s: BigIntStats) => ({ size: Number(s.size), etag: `"${s.ino.toString(36)}-${s.ctimeNs.toString(36)}-${s.size.toString(36)}"` });

/** The path of an object URL on the local server. */
export const LOCAL_OBJECTS_PATH = '/local/objects/';

/** What a checked local object URL allows. */
export type LocalObjectGrant =
  | { readonly kind: 'upload'; readonly key: string; readonly contentType: string; readonly bytes: number }
  | { readonly kind: 'download'; readonly key: string; readonly contentType: string; readonly fileName: string }
  | { readonly kind: 'refused'; readonly status: 403; readonly detail: string };

/**
 * The local stand-in for the jobs bucket: a folder, and URLs on the local server that work like
 * S3's presigned ones, so a client uploads and downloads the same way on both. Each URL names
 * one object and one method, expires, and is signed (HMAC-SHA-256 under a key derived from the
 * local master key) over everything it allows: an upload's exact size and type, a download's
 * file name. A URL that was changed, or used for another object or method, or late, is a 403.
 */
export class FileObjectStore implements ObjectStore {
  private readonly root: string;
  private readonly key: Buffer;

  constructor(
    root: string,
    private readonly options: { baseUrl: string; masterKeyBase64: string; clock: Clock },
  ) {
    this.root = resolve(root);
    this.key = createHmac('sha256', Buffer.from(options.masterKeyBase64, 'base64')).update('tessera local object urls').digest();
  }

  async uploadUrl(key: string, upload: { contentType: string; bytes: number }, ttlSeconds: number): Promise<ObjectUrl> {
    const expires = this.expiry(ttlSeconds);
    const params = { method: 'PUT', expires: String(expires), bytes: String(upload.bytes), type: upload.contentType };
    return { url: this.url(key, params), method: 'PUT', headers: { 'content-type': upload.contentType }, expiresAt: new Date(expires * 1000).toISOString() };
  }

  async downloadUrl(key: string, download: { fileName: string; contentType: string }, ttlSeconds: number): Promise<ObjectUrl> {
    const expires = this.expiry(ttlSeconds);
    const params = { method: 'GET', expires: String(expires), file: download.fileName, type: download.contentType };
    return { url: this.url(key, params), method: 'GET', headers: {}, expiresAt: new Date(expires * 1000).toISOString() };
  }

  /** Checks a request to an object URL: its method, path and query against the signature and the clock. */
  check(method: string, path: string, query: URLSearchParams): LocalObjectGrant {
    const refused = (detail: string): LocalObjectGrant => ({ kind: 'refused', status: 403, detail });
    let key: string;
    try {
      key = decodeURIComponent(path.slice(LOCAL_OBJECTS_PATH.length));
    } catch {
      return refused('The URL is not valid');
    }
    const params = Object.fromEntries(['method', 'expires', 'bytes', 'file', 'type'].flatMap((p) => (query.get(p) === null ? [] : [[p, query.get(p) as string]])));
    const signature = Buffer.from(query.get('signature') ?? '', 'base64url');
    const expected = this.sign(key, params);
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) return refused('The URL is not valid: its signature does not match');
    if (params.method !== method) return refused(`The URL is for ${params.method}, not ${method}`);
    // A URL without a (numeric) expiry never counts as unexpired.
    if (!(Number(params.expires) * 1000 > this.options.clock.now())) return refused('The URL has expired; ask for a new one');
    if (!this.inside(key)) return refused('The URL is not valid');
    if (method === 'PUT') return { kind: 'upload', key, contentType: params.type ?? '', bytes: Number(params.bytes) };
    return { kind: 'download', key, contentType: params.type ?? 'application/octet-stream', fileName: params.file ?? 'download' };
  }

  /** Stores an upload of exactly `bytes` bytes; false (and nothing stored) when it is longer or shorter. */
  async receive(key: string, body: AsyncIterable<Uint8Array>, bytes: number): Promise<boolean> {
    let seen = 0;
    const counted = async function* () {
      for await (const chunk of body) {
        seen += chunk.length;
        if (seen > bytes) throw new RangeError('too long');
        yield chunk;
      }
    };
    const file = this.file(key);
    await mkdir(dirname(file), { recursive: true });
    const partial = `${file}.partial`;
    try {
      await pipeline(Readable.from(counted()), createWriteStream(partial));
    } catch (error) {
      await rm(partial, { force: true });
      if (error instanceof RangeError) return false;
      throw error;
    }
    if (seen !== bytes) {
      await rm(partial, { force: true });
      return false;
    }
    await rename(partial, file);
    return true;
  }

  async size(key: string): Promise<number | undefined> {
    return (await this.stat(key))?.size;
  }

  async stat(key: string): Promise<{ size: number; etag: string } | undefined> {
    try {
      return statOf(await stat(this.file(key), { bigint: true }));
    } catch {
      return undefined;
    }
  }

  async *read(key: string, range?: { start: number; end: number }, ifMatch?: string): AsyncIterable<Uint8Array> {
    // Opened, then checked: the open file keeps the bytes it was checked for, even when an upload renames another over it.
    const handle = await open(this.file(key), 'r');
    try {
      if (ifMatch !== undefined && statOf(await handle.stat({ bigint: true })).etag !== ifMatch) throw new ObjectChangedError(key);
      if (range && range.end <= range.start) return;
      yield* handle.createReadStream({ autoClose: false, ...(range ? { start: range.start, end: range.end - 1 } : {}) });
    } finally {
      await handle.close();
    }
  }

  async write(key: string, body: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>, _contentType: string): Promise<void> {
    const file = this.file(key);
    await mkdir(dirname(file), { recursive: true });
    // Written aside, then renamed: a reader never sees half a file.
    const partial = `${file}.partial`;
    await pipeline(Readable.from(body), createWriteStream(partial));
    await rename(partial, file);
  }

  private url(key: string, params: Record<string, string>): string {
    const query = new URLSearchParams({ ...params, signature: this.sign(key, params).toString('base64url') });
    return `${this.options.baseUrl}${LOCAL_OBJECTS_PATH}${key.split('/').map(encodeURIComponent).join('/')}?${query}`;
  }

  private sign(key: string, params: Record<string, string>): Buffer {
    const canonical = [key, ...Object.keys(params).sort().map((p) => `${p}=${params[p]}`)].join('\n');
    return createHmac('sha256', this.key).update(canonical).digest();
  }

  private expiry(ttlSeconds: number): number {
    return Math.floor(this.options.clock.now() / 1000) + ttlSeconds;
  }

  private inside(key: string): boolean {
    return resolve(join(this.root, key)).startsWith(this.root + sep);
  }

  private file(key: string): string {
    const file = resolve(join(this.root, key));
    if (!file.startsWith(this.root + sep)) throw new Error(`Object key outside the objects folder: ${key}`);
    return file;
  }
}
