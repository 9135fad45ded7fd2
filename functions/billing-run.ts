import { S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { FileExportSink } from '../shared/adapters/export/file-export-sink';
import { S3ExportSink } from '../shared/adapters/export/s3-export-sink';
import { compose } from '../shared/composition';
import { BillingService, previousMonth } from '../shared/domain/billing';
import { lambdaHandler, traced } from '../shared/observability';
import type { ExportSink } from '../shared/ports';

const app = compose();
const { config } = app;

function sink(): ExportSink {
  if (config.runtime === 'local') return new FileExportSink(config.localExportDir ?? '.tessera');
  if (!config.billingExportBucket) throw new Error('Invalid configuration: BILLING_EXPORT_BUCKET is not set');
  return new S3ExportSink(traced(new S3Client({})), config.billingExportBucket);
}

const billing = new BillingService({ store: app.billingStore, clock: app.clock, sink: sink() });

/** The schedule sends `{}` (bill last month); a re-run names the month. */
const event = z.object({ month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM').optional() });

/** The monthly billing run (R26): writes `billing/<month>.csv` and `.json` for finance. */
export const handler = lambdaHandler(async (input: unknown): Promise<{ month: string; rows: number; keys: { csv: string; json: string } }> => {
  const parsed = event.safeParse(input ?? {});
  if (!parsed.success) throw new Error(`Invalid billing event: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  const month = parsed.data.month ?? previousMonth(app.clock.now());
  const result = await billing.run(month);
  app.log.info('billing run written', { ...result });
  return result;
});
