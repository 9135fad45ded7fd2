import { csvParser } from '../csv';
import { PayloadTooLargeError, ValidationError } from '../errors';
import type { BatchRange } from './records';

const QUOTE = 0x22;
const NEWLINE = 0x0a;
const CR = 0x0d;
/** A header longer than this is not a header: the scan stops rather than buffer a huge first line. */
const MAX_HEADER_BYTES = 64 * 1024;

export interface Manifest {
  readonly header: string[];
  readonly rows: number;
  readonly batches: BatchRange[];
}

/**
 * Reads an uploaded CSV once, as a stream, and cuts it into batches of `batchRows` whole records,
 * each a byte range a batch reads on its own (an S3 ranged GET on AWS). Quote-aware: a newline
 * inside a quoted field does not end a record (RFC 4180 doubles a quote inside a field, which
 * toggles twice). Empty lines are not rows. Only the header is parsed here; every record is
 * parsed, and a malformed one reported, by the batch that holds it.
 *
 * Throws PayloadTooLargeError past `maxRows` (without reading further) and ValidationError for a
 * file with no header.
 */
export async function scanCsv(body: AsyncIterable<Uint8Array>, options: { batchRows: number; maxRows: number }): Promise<Manifest> {
  const batches: BatchRange[] = [];
  let offset = 0;
  let line = 1;
  let inQuotes = false;
  let recordStart = 0;
  let recordLine = 1;
  let recordHasText = false;
  let headerBytes: Buffer[] | undefined = [];
  let headerEnd: number | undefined;
  let rows = 0;
  let batch: { start: number; firstLine: number; rows: number } | undefined;
  let header: string[] | undefined;

  const endRecord = (end: number) => {
    if (headerEnd === undefined) {
      if (!recordHasText) return false;
      headerEnd = end;
      return true;
    }
    if (!recordHasText) return false;
    rows++;
    if (rows > options.maxRows) throw new PayloadTooLargeError(`The file has more than ${options.maxRows} rows; split it`);
    batch ??= { start: recordStart, firstLine: recordLine, rows: 0 };
    batch.rows++;
    if (batch.rows === options.batchRows) {
      batches.push({ batch: batches.length, firstLine: batch.firstLine, start: batch.start, end });
      batch = undefined;
    }
    return true;
  };

  for await (const chunk of body) {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    headerBytes?.push(bytes);
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i] as number;
      if (byte === QUOTE) {
        inQuotes = !inQuotes;
        recordHasText = true;
      } else if (byte === NEWLINE) {
        if (!inQuotes) {
          const end = offset + i + 1;
          endRecord(end);
          recordStart = end;
          recordLine = line + 1;
          recordHasText = false;
        }
        line++;
      } else if (byte !== CR && byte !== 0x20 && byte !== 0x09) {
        recordHasText = true;
      }
    }
    offset += bytes.length;
    if (headerBytes && headerEnd === undefined && offset > MAX_HEADER_BYTES) throw new ValidationError('The CSV has no header row within its first 64 KiB');
    if (headerBytes && headerEnd !== undefined) {
      header = await readHeader(Buffer.concat(headerBytes).subarray(0, headerEnd));
      headerBytes = undefined;
    }
  }
  // The last record may end without a newline.
  if (offset > recordStart) endRecord(offset);
  if (headerBytes) {
    if (headerEnd === undefined) throw new ValidationError('The CSV file is empty: it needs a header row');
    header = await readHeader(Buffer.concat(headerBytes).subarray(0, headerEnd));
  }
  if (batch) batches.push({ batch: batches.length, firstLine: batch.firstLine, start: batch.start, end: offset });
  return { header: header ?? [], rows, batches };
}

async function readHeader(bytes: Buffer): Promise<string[]> {
  const { parse } = await csvParser();
  try {
    const [first] = parse(bytes, { bom: true, trim: true, to_line: 1 }) as string[][];
    if (!first?.length) throw new Error('empty');
    return first;
  } catch {
    throw new ValidationError('The first line of the CSV is not a header row');
  }
}
