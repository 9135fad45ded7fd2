import { createDocumentClient } from '../../shared/adapters/dynamo/client';
import { join } from 'node:path';
import { FileExportSink } from '../../shared/adapters/export/file-export-sink';
import { FileObjectStore } from '../../shared/adapters/objects/file-object-store';
import { LOCAL_SMS_PROVIDERS, localClock, localMetrics, localOutbox, localPush, localVoice } from '../../shared/adapters/local/world';
import { LocalSecretBox } from '../../shared/adapters/secrets/local-secret-box';
import { FailoverSmsSender } from '../../shared/adapters/sms/failover-sms-sender';
import type { Runtime } from '../../shared/composition';
import type { LocalConfig } from '../../shared/config';
import { ServiceUnavailableError } from '../../shared/domain/errors';
import { libraryPhoneClassifier } from '../../shared/domain/phone';
import { localJobs } from './jobs';
import { localProjection } from './projection';

let objects: FileObjectStore | undefined;

/** The jobs' files: a folder of the data directory, behind signed URLs on the local server (`/local/objects/`). */
export function localObjectStore(config: LocalConfig): FileObjectStore {
  return (objects ??= new FileObjectStore(join(config.localExportDir ?? '.tessera', 'jobs'), { baseUrl: config.issuer, masterKeyBase64: config.localMasterKey, clock: localClock }));
}

/**
 * The local runtime's adapters, installed into the composition root before any handler module
 * is loaded: the simulated world (clock, SMS providers, telephone, push network, metrics),
 * DynamoDB Local, a local key instead of KMS and a folder instead of the export bucket. The
 * services themselves are the ones the AWS handlers get, built by the same root.
 */
export const localRoot: Runtime<LocalConfig> = {
  clock: () => localClock,
  metrics: () => localMetrics,
  documentClient: (config) => createDocumentClient({ endpoint: config.dynamoEndpoint }),
  secretBox: (config) => new LocalSecretBox(config.localMasterKey),
  // R16: the two local providers, in order.
  smsSender: (_config, log, metrics) => new FailoverSmsSender(LOCAL_SMS_PROVIDERS.map((name) => localOutbox.provider(name)), log, metrics),
  voiceRollover: () => localVoice,
  pushSender: () => localPush,
  // R30: the phone-number library's metadata instead of Pinpoint.
  phoneClassifier: () => libraryPhoneClassifier,
  exportSink: (config) => new FileExportSink(config.localExportDir ?? '.tessera'),
  objectStore: localObjectStore,
  // R19/R22: no Distributed Map locally; the driver runs the same batch handler over the same manifest.
  jobRunner: () => localJobs,
  // R24: the billing run drains the local poller first (even when reads are set not to wait for it).
  projectionProgress: () => ({
    caughtUpTo: async () => {
      try {
        await localProjection.drain({ always: true });
        return { caughtUp: true } as const;
      } catch (error) {
        if (!(error instanceof ServiceUnavailableError)) throw error;
        return { caughtUp: false, reason: error.message, retryAfterSeconds: error.retryAfterSeconds } as const;
      }
    },
  }),
};
