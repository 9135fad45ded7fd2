import { createServer, request as httpRequest, Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';
import { problemResponse, PROBLEM_TYPE_PREFIX } from '../../shared/http/problem';
import { TABLES } from '../../shared/tables';

/**
 * Fault injection for the local runtime only: a small HTTP proxy between the handlers and
 * DynamoDB Local that fails chosen requests the way DynamoDB or the network would, so tests can
 * check what a throttled or unreachable table does in the middle of a request. The handlers see
 * real wire errors through the real SDK (with its retries); nothing of this is in a Lambda bundle.
 */

/** What a matching request gets instead of DynamoDB's answer. */
export const FAULT_KINDS = ['throttle', 'network', 'internal'] as const;

const faultRule = z.strictObject({
  /** DynamoDB operation, e.g. `TransactWriteItems`, `GetItem`; absent: any. */
  operation: z.string().regex(/^[A-Za-z]{1,40}$/).optional(),
  /** Logical table id from `shared/tables.ts`, e.g. `Challenges`; absent: any. */
  table: z.enum(TABLES.map((t) => t.id) as [string, ...string[]]).optional(),
  kind: z.enum(FAULT_KINDS),
  /** Let this many matching requests through first ("fail the Nth": after = N - 1). */
  after: z.int().min(0).max(10_000).default(0),
  /** Fail this many matching requests, then stop; absent: until the rules are cleared. */
  times: z.int().min(1).max(10_000).optional(),
});

export const faultRules = z.strictObject({ rules: z.array(faultRule).max(20) });

export type FaultRule = z.infer<typeof faultRule>;
/** A rule as sent to `/local/faults` (`after` may be left out). */
export type FaultRuleInput = z.input<typeof faultRule>;

interface ActiveRule {
  readonly rule: FaultRule;
  seen: number;
  failed: number;
}

/** The rules in force, shared by the proxy and the /local/faults endpoint (one runtime per process). */
class LocalFaults {
  private rules: ActiveRule[] = [];
  /** Requests failed on purpose since the rules were last set. */
  injected = 0;
  /** Whether a proxy is running, i.e. whether rules can have any effect. */
  enabled = false;

  set(rules: readonly FaultRule[]): void {
    this.rules = rules.map((rule) => ({ rule, seen: 0, failed: 0 }));
    this.injected = 0;
  }

  view() {
    return {
      enabled: this.enabled,
      injected: this.injected,
      rules: this.rules.map((r) => ({ ...r.rule, matched: r.seen, failed: r.failed })),
    };
  }

  /** The fault for a request to `operation` on these logical tables, if a rule takes it. */
  take(operation: string, tables: readonly string[]): FaultRule['kind'] | undefined {
    for (const active of this.rules) {
      const { rule } = active;
      if (rule.operation && rule.operation !== operation) continue;
      if (rule.table && !tables.includes(rule.table)) continue;
      active.seen++;
      if (active.seen <= rule.after) continue;
      if (rule.times !== undefined && active.failed >= rule.times) continue;
      active.failed++;
      this.injected++;
      return rule.kind;
    }
    return undefined;
  }
}

export const localFaults = new LocalFaults();

/** Physical table names a DynamoDB JSON request names (TableName, batch RequestItems, transaction items). */
function tablesIn(body: string): string[] {
  try {
    const input = JSON.parse(body) as {
      TableName?: string;
      RequestItems?: Record<string, unknown>;
      TransactItems?: Record<string, { TableName?: string } | undefined>[];
    };
    if (input.TableName) return [input.TableName];
    if (input.RequestItems) return Object.keys(input.RequestItems);
    return (input.TransactItems ?? []).flatMap((item) => Object.values(item).map((op) => op?.TableName ?? ''));
  } catch {
    return [];
  }
}

function fail(req: IncomingMessage, res: ServerResponse, kind: FaultRule['kind']): void {
  if (kind === 'network') {
    // As an unreachable endpoint or a dropped connection looks to the SDK: no answer at all.
    req.socket.destroy();
    return;
  }
  const [status, type, message] =
    kind === 'throttle'
      ? [400, 'ProvisionedThroughputExceededException', 'The level of configured provisioned throughput for the table was exceeded (injected)']
      : [500, 'InternalServerError', 'Internal server error (injected)'];
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'injected-fault' });
  res.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }));
}

/**
 * Starts the proxy in front of `target` (DynamoDB Local). `tables` maps the physical table names
 * of this runtime to their logical ids, so rules can name `Challenges` whatever the prefix.
 */
export async function startFaultProxy(target: string, tables: Readonly<Record<string, string>>): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const operation = String(req.headers['x-amz-target'] ?? '').split('.').at(-1) ?? '';
      const logical = tablesIn(body.toString('utf8')).map((name) => tables[name] ?? name);
      const fault = localFaults.take(operation, logical);
      if (fault) {
        fail(req, res, fault);
        return;
      }
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => req.socket.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  localFaults.enabled = true;
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      localFaults.enabled = false;
      localFaults.set([]);
      server.closeAllConnections();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/**
 * `/local/faults`: GET shows the rules and how many requests they failed; PUT `{ rules: [...] }`
 * replaces them; DELETE clears them. Refused (409) when the runtime runs without the proxy.
 */
export function serveFaults(method: string, body: Buffer, res: ServerResponse): void {
  const problem = (status: number, code: string, title: string, detail: string) => {
    const result = problemResponse({ type: `${PROBLEM_TYPE_PREFIX}${code}`, title, status, detail });
    res.writeHead(status, result.headers as Record<string, string>);
    res.end(result.body);
  };
  if (method === 'GET') return reply(res, 200, localFaults.view());
  if (method !== 'PUT' && method !== 'DELETE') {
    res.setHeader('allow', 'GET, PUT, DELETE');
    return problem(405, 'method-not-allowed', 'Method not allowed', `${method} is not served at /local/faults`);
  }
  if (!localFaults.enabled) {
    return problem(409, 'conflict', 'Conflict', 'Fault injection is off: start the runtime with the faultInjection option');
  }
  if (method === 'DELETE') {
    localFaults.set([]);
    return reply(res, 200, localFaults.view());
  }
  let input: unknown;
  try {
    input = JSON.parse(body.toString('utf8'));
  } catch {
    input = undefined;
  }
  const parsed = faultRules.safeParse(input);
  if (!parsed.success) return problem(400, 'validation-failed', 'Your request is not valid', z.prettifyError(parsed.error));
  localFaults.set(parsed.data.rules);
  return reply(res, 200, localFaults.view());
}
