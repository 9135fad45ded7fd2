/**
 * The soak's reconciliation: what the clients were told against what DynamoDB holds afterwards.
 * Every approval returned to a client must have exactly one approved auth-log line (R23), one
 * `approved` usage unit, and its challenge item approved; no challenge may be approved twice
 * (R2); every challenge sent is counted once in usage and once on the billing meter (R24).
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { localClient } from '../../../infra/local/dynamo';
import { localProjection } from '../../../infra/local/projection';
import { CHALLENGES_TABLE, LOGS_TABLE, USAGE_TABLE, type TableDefinition } from '../../../shared/tables';

export interface ClientApproval {
  readonly tenantId: string;
  readonly challengeId: string;
  readonly userId: string;
  readonly method: string;
}

/** What the load generator saw. */
export interface ClientRecords {
  /** One per `200 approved` a client received, with the assertion's claims. */
  readonly approvals: readonly ClientApproval[];
  /** Challenges whose verify was sent but whose answer the end of the run cut off. */
  readonly cutOffVerifies: readonly string[];
  /** `201` answers to `POST /v1/challenges`, per tenant. */
  readonly created: Readonly<Record<string, number>>;
  /** Challenge requests sent but not answered when the run ended, per tenant. */
  readonly cutOffCreates: Readonly<Record<string, number>>;
  /** Assertions whose signature or claims did not check out against the JWKS. */
  readonly invalidAssertions: number;
}

/** What DynamoDB holds, reduced to what reconciliation needs. */
export interface StoredRecords {
  readonly logs: readonly { tenantId: string; challengeId?: string; event: string; result: string }[];
  readonly usage: readonly { tenantId: string; method: string; result: string; count: number }[];
  readonly billing: readonly { tenantId: string; count: number }[];
  readonly challenges: readonly { tenantId: string; challengeId: string; status: string }[];
}

export interface Reconciliation {
  readonly ok: boolean;
  /** The first problems found (at most MAX_LISTED), each a sentence. */
  readonly problems: string[];
  readonly problemCount: number;
  readonly figures: {
    readonly approvalsSeenByClients: number;
    readonly approvedLogLines: number;
    readonly approvedUsageUnits: number;
    readonly approvedChallengeItems: number;
    readonly sentLogLines: number;
    readonly sentUsageUnits: number;
    readonly billedUnits: number;
    readonly challengesCreatedSeenByClients: number;
    readonly approvalsCutOffByEndOfRun: number;
  };
}

const MAX_LISTED = 50;

function tally<T>(items: readonly T[], keyOf: (item: T) => string | undefined, weight: (item: T) => number = () => 1): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) {
    const key = keyOf(item);
    if (key !== undefined) out.set(key, (out.get(key) ?? 0) + weight(item));
  }
  return out;
}

const sum = (map: ReadonlyMap<string, number> | Readonly<Record<string, number>>): number =>
  [...(map instanceof Map ? map.values() : Object.values(map))].reduce((a, b) => a + b, 0);

/** Compares the clients' view with the stored records; `ok` only if every check holds. */
export function reconcile(client: ClientRecords, stored: StoredRecords): Reconciliation {
  const problems: string[] = [];
  const problem = (text: string) => problems.push(text);

  if (client.invalidAssertions > 0) problem(`${client.invalidAssertions} assertion(s) did not verify against the JWKS`);

  // R2: no challenge approved twice, as the clients saw it.
  for (const [cid, n] of tally(client.approvals, (a) => a.challengeId)) {
    if (n > 1) problem(`challenge ${cid} was approved ${n} times for clients`);
  }

  const approvedLogs = stored.logs.filter((l) => l.event === 'verify' && l.result === 'approved');
  const logsByChallenge = tally(approvedLogs, (l) => l.challengeId);
  const approvedItems = new Map(stored.challenges.filter((c) => c.status === 'approved').map((c) => [c.challengeId, c]));
  const seen = new Set(client.approvals.map((a) => a.challengeId));
  const cutOff = new Set(client.cutOffVerifies);

  for (const approval of client.approvals) {
    const lines = logsByChallenge.get(approval.challengeId) ?? 0;
    if (lines !== 1) problem(`approved challenge ${approval.challengeId} has ${lines} approved auth-log lines, not 1`);
    const item = approvedItems.get(approval.challengeId);
    if (!item) problem(`approved challenge ${approval.challengeId} is not approved in the challenges table`);
    else if (item.tenantId !== approval.tenantId) problem(`challenge ${approval.challengeId} belongs to another tenant than its assertion says`);
  }
  // An approval nobody was told of is only acceptable for a verify the end of the run cut off.
  for (const [cid, n] of logsByChallenge) {
    if (!seen.has(cid) && !cutOff.has(cid)) problem(`challenge ${cid} has ${n} approved auth-log line(s) but no client received its approval`);
    else if (n > 1 && !seen.has(cid)) problem(`challenge ${cid} has ${n} approved auth-log lines`);
  }
  for (const cid of approvedItems.keys()) {
    if (!seen.has(cid) && !cutOff.has(cid)) problem(`challenge ${cid} is approved in the table but no client received its approval`);
  }
  const cutOffApproved = [...cutOff].filter((cid) => approvedItems.has(cid) && !seen.has(cid)).length;

  // Usage: one `approved` unit per approval and one `sent` unit per challenge, per tenant.
  const usage = (result: string) => tally(stored.usage.filter((u) => u.result === result), (u) => u.tenantId, (u) => u.count);
  const lines = (event: string, result: string) => tally(stored.logs.filter((l) => l.event === event && l.result === result), (l) => l.tenantId);
  const approvedUsage = usage('approved');
  const approvedLines = lines('verify', 'approved');
  const sentUsage = usage('sent');
  const sentLines = lines('challenge', 'sent');
  const billed = tally(stored.billing, (b) => b.tenantId, (b) => b.count);
  const clientApprovals = tally(client.approvals, (a) => a.tenantId);
  const cutOffByTenant = tally(
    stored.challenges.filter((c) => cutOff.has(c.challengeId) && c.status === 'approved' && !seen.has(c.challengeId)),
    (c) => c.tenantId,
  );
  const tenants = new Set([...approvedUsage.keys(), ...approvedLines.keys(), ...sentUsage.keys(), ...sentLines.keys(), ...billed.keys(), ...clientApprovals.keys(), ...Object.keys(client.created)]);
  for (const t of tenants) {
    const units = approvedUsage.get(t) ?? 0;
    const logged = approvedLines.get(t) ?? 0;
    const told = (clientApprovals.get(t) ?? 0) + (cutOffByTenant.get(t) ?? 0);
    if (units !== logged) problem(`tenant ${t}: ${units} approved usage units but ${logged} approved auth-log lines`);
    if (logged !== told) problem(`tenant ${t}: ${logged} approved auth-log lines but ${told} approvals returned to clients (or cut off)`);
    const sent = sentUsage.get(t) ?? 0;
    if (sent !== (sentLines.get(t) ?? 0)) problem(`tenant ${t}: ${sent} sent usage units but ${sentLines.get(t) ?? 0} sent auth-log lines`);
    if (sent !== (billed.get(t) ?? 0)) problem(`tenant ${t}: ${sent} sent usage units but ${billed.get(t) ?? 0} billed units`);
    const created = client.created[t] ?? 0;
    const maybe = client.cutOffCreates[t] ?? 0;
    if (sent < created || sent > created + maybe) problem(`tenant ${t}: ${sent} challenges counted as sent, clients saw ${created} created (+ ${maybe} cut off)`);
  }

  return {
    ok: problems.length === 0,
    problems: problems.slice(0, MAX_LISTED),
    problemCount: problems.length,
    figures: {
      approvalsSeenByClients: client.approvals.length,
      approvedLogLines: approvedLogs.length,
      approvedUsageUnits: sum(approvedUsage),
      approvedChallengeItems: approvedItems.size,
      sentLogLines: sum(sentLines),
      sentUsageUnits: sum(sentUsage),
      billedUnits: sum(billed),
      challengesCreatedSeenByClients: sum(client.created),
      approvalsCutOffByEndOfRun: cutOffApproved,
    },
  };
}

async function scanAll(endpoint: string, def: TableDefinition): Promise<Record<string, unknown>[]> {
  const client = localClient(endpoint);
  try {
    const out: Record<string, unknown>[] = [];
    let start: Record<string, never> | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: process.env[def.envVar], ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) out.push(unmarshall(item));
      start = page.LastEvaluatedKey as Record<string, never> | undefined;
    } while (start);
    return out;
  } finally {
    client.destroy();
  }
}

/**
 * Reads the runtime's logs, usage and challenges tables (names from the environment the local
 * runtime set in this process), once the challenge projection has written everything up to now.
 * A Scan is fine here: the soak's tables hold only its own run.
 */
export async function readStoredRecords(endpoint: string): Promise<StoredRecords> {
  await localProjection.drain();
  const [logs, usage, challenges] = await Promise.all([
    scanAll(endpoint, LOGS_TABLE),
    scanAll(endpoint, USAGE_TABLE),
    scanAll(endpoint, CHALLENGES_TABLE),
  ]);
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    logs: logs
      .filter((l) => str(l.pk).startsWith('AUTH#'))
      .map((l) => ({ tenantId: str(l.tenantId), event: str(l.event), result: str(l.result), ...(l.challengeId ? { challengeId: str(l.challengeId) } : {}) })),
    usage: usage
      .filter((u) => !str(u.pk).startsWith('BILL#'))
      .map((u) => ({ tenantId: str(u.pk).split('#')[0] ?? '', method: str(u.method), result: str(u.result), count: Number(u.count ?? 0) })),
    billing: usage.filter((u) => str(u.pk).startsWith('BILL#')).map((u) => ({ tenantId: str(u.pk).split('#')[1] ?? '', count: Number(u.count ?? 0) })),
    challenges: challenges
      .filter((c) => typeof c.challengeId === 'string' && typeof c.tenantId === 'string')
      .map((c) => ({ tenantId: str(c.tenantId), challengeId: str(c.challengeId), status: str(c.status) })),
  };
}
