import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { localVoice } from '../../shared/adapters/local/world';
import { ENV, type LocalConfig } from '../../shared/config';
import { localVoiceRollover } from '../../shared/voice/local-runner';
import { sha256Hex } from '../../shared/domain/crypto';
import { CHALLENGES_TABLE, LOGS_TABLE, TABLES, USAGE_TABLE } from '../../shared/tables';
import { ensureTables, freePort, startDynamoLocal, type DynamoLocal } from './dynamo';
import { startBillingSchedule } from './billing';
import { startFaultProxy } from './faults';
import { startPushSweep } from './push-sweep';
import { createLocalServer } from './server';
import { localContext } from './context';

export interface LocalRuntimeOptions {
  /** HTTP port; 0 or absent picks a free one. */
  readonly port?: number;
  /** Keep DynamoDB Local's data here; absent keeps it in memory. */
  readonly dataDir?: string;
  /** Use an already running DynamoDB Local instead of starting one. */
  readonly dynamoEndpoint?: string;
  /** Prefix of the local table names; test files use their own so they never see each other. */
  readonly tablePrefix?: string;
  readonly operatorKey?: string;
  /** 32 bytes, base64: the local stand-in for KMS. Keep it with the data, or secrets cannot be read. */
  readonly masterKey?: string;
  /** Powertools log level for the handlers (DEBUG, INFO, WARN, ERROR, SILENT). */
  readonly logLevel?: string;
  /**
   * Milliseconds an unanswered voice call rings before the rollover moves on, instead of the
   * state machine's TimeoutSeconds (R12). Only ever shorter: tests never wait a real minute.
   */
  readonly voiceCallTimeoutMs?: number;
  /** Folder the billing export is written to (`billing/YYYY-MM.csv|json` inside it); default `.tessera`. */
  readonly exportDir?: string;
  /**
   * Puts the fault-injection proxy (`faults.ts`) between the handlers and DynamoDB Local, driven
   * through `/local/faults`. Off by default: tests of failures turn it on. The push deadline
   * sweep does not run then: its requests in the background would move the faults' counts.
   */
  readonly faultInjection?: boolean;
}

export interface LocalRuntime {
  readonly url: string;
  readonly operatorKey: string;
  readonly dynamoEndpoint: string;
  /** Waits until every challenge change made so far has its auth-log lines, usage and billing meter (see `projection.ts`). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs the product on one machine: DynamoDB Local with the tables the CDK stack defines, and
 * the real Lambda handlers behind an HTTP server that speaks API Gateway's event format.
 * Handlers read their configuration when first loaded, so one runtime per process.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  let dynamo: DynamoLocal | undefined;
  let server: Server | undefined;
  let proxy: Awaited<ReturnType<typeof startFaultProxy>> | undefined;
  try {
    const endpoint =
      options.dynamoEndpoint ?? (dynamo = await startDynamoLocal(options.dataDir ? { dataDir: options.dataDir } : {})).endpoint;
    const tables = await ensureTables(endpoint, options.tablePrefix ?? 'tessera-');
    const port = options.port || (await freePort());
    const url = `http://127.0.0.1:${port}`;
    const operatorKey = options.operatorKey ?? `tsr_operator_${randomBytes(24).toString('base64url')}`;
    if (options.faultInjection) {
      const logical = Object.fromEntries(TABLES.map((def) => [tables[def.envVar] as string, def.id]));
      proxy = await startFaultProxy(endpoint, logical);
    }
    Object.assign(process.env, tables, {
      [ENV.runtime]: 'local',
      [ENV.issuer]: url,
      [ENV.dynamoEndpoint]: proxy?.endpoint ?? endpoint,
      [ENV.operatorKeySha256]: sha256Hex(operatorKey),
      [ENV.localMasterKey]: options.masterKey ?? randomBytes(32).toString('base64'),
      [ENV.localExportDir]: options.exportDir ?? '.tessera',
      POWERTOOLS_LOG_LEVEL: options.logLevel ?? 'WARN',
      POWERTOOLS_SERVICE_NAME: 'tessera',
      AWS_REGION: process.env.AWS_REGION ?? 'local',
    });
    // The voice rollover's step task is the finish handler module, as CDK binds its Lambda ARN;
    // its place-call step takes each number's hourly cap (R6) from the handlers' throttle store.
    // The local adapters go into the composition root before any handler module is loaded.
    const { installLocalRuntime, throttleStore } = await import('../../shared/composition');
    installLocalRuntime((await import('./root')).localRoot);
    const { handler: finish } = await import('../../functions/voice-finish');
    localVoice.configure({
      runner: localVoiceRollover,
      finish: (payload) => finish(payload, localContext('voice-finish')),
      throttle: throttleStore(),
      ...(options.voiceCallTimeoutMs ? { callTimeoutMs: options.voiceCallTimeoutMs } : {}),
    });
    // R19/R22: the jobs' batches run in-process, through the same handler modules as on AWS.
    const { localJobs } = await import('./jobs');
    const { localObjectStore } = await import('./root');
    const { config } = await import('../../shared/composition');
    const { handler: batch } = await import('../../functions/job-batch');
    const { handler: complete } = await import('../../functions/job-complete');
    localJobs.configure({
      batch: (event) => batch(event, localContext('job-batch')),
      complete: (event) => complete(event, localContext('job-complete')),
      objects: localObjectStore(config() as LocalConfig),
    });
    // R23/R24: the Challenges table's stream to log lines, usage and the billing meter, straight
    // to DynamoDB Local (never through the fault proxy: its counts are the handlers').
    const { localProjection } = await import('./projection');
    await localProjection.start({ endpoint, challengesTable: tables[CHALLENGES_TABLE.envVar] as string, logsTable: tables[LOGS_TABLE.envVar] as string, usageTable: tables[USAGE_TABLE.envVar] as string });
    const listening = await createLocalServer();
    server = listening;
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(port, '127.0.0.1', () => resolve());
    });
    const actualPort = (listening.address() as AddressInfo).port;
    const billing = startBillingSchedule();
    // R7: ignored pushes are settled and counted for fatigue without anyone reading them.
    const sweep = options.faultInjection ? undefined : startPushSweep();
    return {
      url: `http://127.0.0.1:${actualPort}`,
      operatorKey,
      dynamoEndpoint: endpoint,
      drain: () => localProjection.drain(),
      stop: async () => {
        clearInterval(billing);
        await sweep?.stop();
        localVoice.stop();
        await localJobs.idle();
        await localProjection.stop();
        listening.closeAllConnections();
        await new Promise<void>((resolve) => listening.close(() => resolve()));
        await proxy?.stop();
        await dynamo?.stop();
      },
    };
  } catch (error) {
    server?.close();
    await proxy?.stop();
    await dynamo?.stop();
    throw error;
  }
}
