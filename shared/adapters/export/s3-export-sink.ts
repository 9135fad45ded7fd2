import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ExportSink } from '../../ports';

/** The finance export bucket (R26). Versioned: a re-run writes a new version with the same bytes. */
export class S3ExportSink implements ExportSink {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, body: string, contentType: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
  }
}
