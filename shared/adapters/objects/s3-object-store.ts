import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ObjectChangedError, type ObjectStore, type ObjectUrl } from '../../ports';

const status = (error: unknown) => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/** S3 takes parts of at least 5 MiB (but the last); 8 MiB keeps a 200 MiB report under 30 parts. */
const PART_BYTES = 8 * 1024 * 1024;

/**
 * The jobs bucket (R19, R22): presigned URLs for the admin's upload and downloads, ranged reads
 * for the batches, and streamed writes (multipart past 8 MiB) for reports and exports. An upload
 * URL signs its Content-Length and Content-Type, so S3 refuses a file of another size or type.
 */
export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async uploadUrl(key: string, upload: { contentType: string; bytes: number }, ttlSeconds: number): Promise<ObjectUrl> {
    const command = new PutObjectCommand({ Bucket: this.bucket, Key: key, ContentType: upload.contentType, ContentLength: upload.bytes });
    const url = await getSignedUrl(this.s3, command, { expiresIn: ttlSeconds, signableHeaders: new Set(['content-type', 'content-length']) });
    return { url, method: 'PUT', headers: { 'content-type': upload.contentType }, expiresAt: new Date(Date.now() + ttlSeconds * 1000).toISOString() };
  }

  async downloadUrl(key: string, download: { fileName: string; contentType: string }, ttlSeconds: number): Promise<ObjectUrl> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ResponseContentType: download.contentType,
      ResponseContentDisposition: `attachment; filename="${download.fileName}"`,
    });
    const url = await getSignedUrl(this.s3, command, { expiresIn: ttlSeconds });
    return { url, method: 'GET', headers: {}, expiresAt: new Date(Date.now() + ttlSeconds * 1000).toISOString() };
  }

  async size(key: string): Promise<number | undefined> {
    return (await this.stat(key))?.size;
  }

  async stat(key: string): Promise<{ size: number; etag: string } | undefined> {
    try {
      const out = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: out.ContentLength ?? 0, etag: out.ETag ?? '' };
    } catch (error) {
      if ((error as { name?: string }).name === 'NotFound' || status(error) === 404) return undefined;
      throw error;
    }
  }

  async *read(key: string, range?: { start: number; end: number }, ifMatch?: string): AsyncIterable<Uint8Array> {
    if (range && range.end <= range.start) return;
    let out;
    try {
      out = await this.s3.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end - 1}` } : {}), ...(ifMatch ? { IfMatch: ifMatch } : {}) }),
      );
    } catch (error) {
      // 412: the object was replaced after its ETag was pinned.
      if (ifMatch && ((error as { name?: string }).name === 'PreconditionFailed' || status(error) === 412)) throw new ObjectChangedError(key);
      throw error;
    }
    if (!out.Body) return;
    yield* out.Body as AsyncIterable<Uint8Array>;
  }

  async write(key: string, body: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>, contentType: string): Promise<void> {
    let buffered: Buffer[] = [];
    let size = 0;
    let uploadId: string | undefined;
    const parts: { ETag: string; PartNumber: number }[] = [];
    const flush = async () => {
      uploadId ??= (await this.s3.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: contentType }))).UploadId;
      const PartNumber = parts.length + 1;
      const out = await this.s3.send(new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber, Body: Buffer.concat(buffered) }));
      parts.push({ ETag: out.ETag ?? '', PartNumber });
      buffered = [];
      size = 0;
    };
    try {
      for await (const chunk of body) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);
        buffered.push(bytes);
        size += bytes.length;
        if (size >= PART_BYTES) await flush();
      }
      if (!uploadId) {
        await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: Buffer.concat(buffered), ContentType: contentType }));
        return;
      }
      if (size > 0) await flush();
      await this.s3.send(new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
    } catch (error) {
      if (uploadId) await this.s3.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      throw error;
    }
  }
}
