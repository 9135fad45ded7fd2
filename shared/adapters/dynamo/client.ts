import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { traced } from '../../observability';

/** Counts DynamoDB commands per operation, for the benchmark's "requests per authentication". */
export class RequestCounter {
  readonly byOperation = new Map<string, number>();
  /** Requests per "<operation> <table>" (a transaction or batch counts once for every table in it). */
  readonly byTable = new Map<string, number>();

  get total(): number {
    let sum = 0;
    for (const n of this.byOperation.values()) sum += n;
    return sum;
  }

  /**
   * When set, every request asks for ReturnConsumedCapacity TOTAL and the units are added up
   * here (the benchmark's cost figures); off otherwise, so handlers never pay for the extra bytes.
   */
  measureCapacity = false;
  /** Capacity units consumed, as DynamoDB reported them: reads (RRU) and writes (WRU). */
  readonly capacity = { read: 0, write: 0 };

  recordCapacity(operation: string, consumed: unknown, localInput?: unknown): void {
    const entries = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) as { CapacityUnits?: number; TableName?: string }[];
    let units = entries.reduce((sum, e) => sum + (e.CapacityUnits ?? 0), 0);
    // DynamoDB Local (`localInput` given) reports a transaction's units per table, as for its
    // largest item there; DynamoDB bills every item, at least 2 units each: add 2 for each further
    // item of a table (exact while at most one item of a table is over 1 KB).
    if (operation === 'TransactWriteItems' && localInput !== undefined) {
      const items = tablesOf(localInput);
      for (const table of new Set(items)) units += 2 * (items.filter((t) => t === table).length - 1);
    }
    if (/^(Get|BatchGet|TransactGet|Query|Scan)/.test(operation)) this.capacity.read += units;
    else this.capacity.write += units;
  }

  record(operation: string, tables: readonly string[] = []): void {
    this.byOperation.set(operation, (this.byOperation.get(operation) ?? 0) + 1);
    for (const table of new Set(tables)) {
      const key = `${operation} ${table}`;
      this.byTable.set(key, (this.byTable.get(key) ?? 0) + 1);
    }
  }

  reset(): void {
    this.byOperation.clear();
    this.byTable.clear();
    this.capacity.read = 0;
    this.capacity.write = 0;
  }
}

/** One process-wide counter: handlers of the local runtime share a process, so it sees them all. */
export const dynamoRequests = new RequestCounter();

/** The tables a command's input names: TableName, a batch's RequestItems, a transaction's items. */
function tablesOf(input: unknown): string[] {
  const i = input as {
    TableName?: string;
    RequestItems?: Record<string, unknown>;
    TransactItems?: Record<string, { TableName?: string } | undefined>[];
  };
  if (i.TableName) return [i.TableName];
  if (i.RequestItems) return Object.keys(i.RequestItems);
  return (i.TransactItems ?? []).flatMap((item) => Object.values(item).map((op) => op?.TableName ?? '').filter(Boolean));
}

export interface DynamoOptions {
  /** DynamoDB Local's address; absent on AWS. */
  readonly endpoint?: string;
  /** Where this client's requests are counted; `dynamoRequests` (the handlers') unless given. */
  readonly counter?: RequestCounter;
}

export function createDocumentClient(options: DynamoOptions = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient(
    options.endpoint
      ? {
          endpoint: options.endpoint,
          region: 'local',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
          maxAttempts: 3,
        }
      : { maxAttempts: 3 },
  );
  const counter = options.counter ?? dynamoRequests;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      counter.record(operation, tablesOf(args.input));
      if (!counter.measureCapacity) return next(args);
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      counter.recordCapacity(operation, (result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity, options.endpoint ? args.input : undefined);
      return result;
    },
    { step: 'initialize', name: 'tesseraRequestCounter' },
  );
  return DynamoDBDocumentClient.from(traced(client), { marshallOptions: { removeUndefinedValues: true } });
}
