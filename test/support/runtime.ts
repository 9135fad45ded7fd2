import { ScanCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localClient } from '../../infra/local/dynamo';
import type { FaultRuleInput } from '../../infra/local/faults';
import { startLocalRuntime, type LocalRuntime } from '../../infra/local/runtime';
import { base32Decode, totpAt } from '../../shared/domain/otp/totp';
import { tenantKeys } from '../../shared/adapters/dynamo/tenant-store';
import { recentKeys } from '../../shared/composition';
import { MAX_TENANT_CAP_PER_SECOND } from '../../shared/rules';
import { TABLES, TENANTS_TABLE } from '../../shared/tables';

/** The secret of an otpauth:// key URI, as an authenticator app reads it from the QR code. */
export function secretOf(otpauthUri: string): Uint8Array {
  return base32Decode(new URL(otpauthUri).searchParams.get('secret') ?? '');
}

/** The secret part of an API key `tsr_<scope>_<tenantId>_<keyId>_<secret>`; the secret is base64url, so it may hold "_". */
export function apiKeySecret(key: string): string {
  const secret = key.split('_').slice(4).join('_');
  if (secret.length < 40) throw new Error(`not an API key: ${key.slice(0, 12)}…`);
  return secret;
}

export interface Reply<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

export interface RequestOptions {
  readonly key?: string;
  readonly body?: unknown;
  /** Sent as is, instead of JSON.stringify(body). */
  readonly rawBody?: string | Buffer;
  readonly headers?: Record<string, string>;
}

/** R15: the caller-ID number every test tenant is assigned by the operator when created. */
export const TEST_CALLER_ID = '+14155550199';

export interface Tenant {
  readonly tenantId: string;
  readonly adminKey: string;
  readonly authKey: string;
}

/**
 * Drives the real handlers through the local HTTP runtime against the DynamoDB Local that the
 * global setup started. Each test file gets its own tables (a random prefix), so files running
 * in parallel never see each other's data.
 */
export class TestApi {
  private constructor(
    readonly runtime: LocalRuntime,
    /** Where this runtime's billing export goes (a temporary folder of its own). */
    readonly exportDir: string,
  ) {}

  /**
   * `voiceCallTimeoutMs`: how long an unanswered local call rings before the rollover moves on.
   * `faultInjection`: put the DynamoDB fault proxy in front of the tables (see `setFaults`).
   * `dynamoEndpoint`: a DynamoDB Local of the test's own instead of the run's; `logLevel`: the
   * service log's level (silent unless given), for tests that read what is logged.
   */
  static async start(options: { voiceCallTimeoutMs?: number; faultInjection?: boolean; dynamoEndpoint?: string; logLevel?: string } = {}): Promise<TestApi> {
    const endpoint = options.dynamoEndpoint ?? process.env.TESSERA_TEST_DYNAMODB_ENDPOINT;
    if (!endpoint) throw new Error('TESSERA_TEST_DYNAMODB_ENDPOINT is not set: run through jest (global setup)');
    const exportDir = mkdtempSync(join(tmpdir(), 'tessera-export-'));
    return new TestApi(
      await startLocalRuntime({
        exportDir,
        dynamoEndpoint: endpoint,
        tablePrefix: `t${randomBytes(4).toString('hex')}-`,
        logLevel: options.logLevel ?? 'SILENT',
        ...(options.voiceCallTimeoutMs ? { voiceCallTimeoutMs: options.voiceCallTimeoutMs } : {}),
        ...(options.faultInjection ? { faultInjection: true } : {}),
      }),
      exportDir,
    );
  }

  /** The billing run (R26), as the schedule runs it on the 1st; returns the bytes of both files. */
  async runBilling(month: string): Promise<{ status: number; csv: string; json: string }> {
    const reply = await this.request('POST', '/local/billing-run', { body: { month } });
    if (reply.status !== 200) return { status: reply.status, csv: '', json: '' };
    const read = (ext: string) => readFileSync(join(this.exportDir, 'billing', `${month}.${ext}`), 'utf8');
    return { status: reply.status, csv: read('csv'), json: read('json') };
  }

  get url(): string {
    return this.runtime.url;
  }

  async stop(): Promise<void> {
    await this.runtime.stop();
    rmSync(this.exportDir, { recursive: true, force: true });
  }

  async request<T = Record<string, unknown>>(method: string, path: string, options: RequestOptions = {}): Promise<Reply<T>> {
    const hasBody = options.rawBody !== undefined || options.body !== undefined;
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
        ...(hasBody && options.rawBody === undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      ...(hasBody ? { body: options.rawBody ?? JSON.stringify(options.body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /**
   * A tenant with its keys. Its per-second request cap (R6) is lifted: tests freeze the local
   * clock, and every request made while it stands still falls in the same one-second window.
   * Tests of that cap set it with `PUT /v1/operator/tenants/{tenantId}/limits`.
   */
  async createTenant(name = 'Acme'): Promise<Tenant> {
    const reply = await this.request<Tenant>('POST', '/v1/operator/tenants', {
      key: this.runtime.operatorKey,
      // R15: the operator assigns the caller ID that voice tests set in the settings.
      body: { name, provider: { billingModel: 'per_authentication' }, callerIds: [TEST_CALLER_ID] },
    });
    if (reply.status !== 201) throw new Error(`tenant not created: ${JSON.stringify(reply.body)}`);
    const caps = await this.request('PUT', `/v1/operator/tenants/${reply.body.tenantId}/limits`, {
      key: this.runtime.operatorKey,
      body: { requestsPerSecond: MAX_TENANT_CAP_PER_SECOND },
    });
    if (caps.status !== 200) throw new Error(`tenant caps not set: ${JSON.stringify(caps.body)}`);
    return reply.body;
  }

  async putUser(tenant: Tenant, userId: string, primary: string, backup: string[] = []): Promise<Reply> {
    return this.request('PUT', `/v1/admin/users/${userId}`, {
      key: tenant.adminKey,
      body: { mfaEnabled: true, phones: { primary, backup } },
    });
  }

  private users = 0;

  /**
   * A new user with a number of its own. Limits are per user (R6: 5 challenges in 5 minutes)
   * and per number (10 texts an hour), so tests that are not about them use fresh users.
   */
  async newUser(tenant: Tenant, prefix = 'user'): Promise<{ userId: string; phone: string }> {
    const n = this.users++;
    const userId = `${prefix}${n}`;
    const phone = `+1415555${String(1000 + n).padStart(4, '0')}`;
    const reply = await this.putUser(tenant, userId, phone);
    if (reply.status !== 201) throw new Error(`user not created: ${JSON.stringify(reply.body)}`);
    return { userId, phone };
  }

  async createChallenge(tenant: Tenant, userId: string, headers: Record<string, string> = {}): Promise<Reply> {
    return this.request('POST', '/v1/challenges', { key: tenant.authKey, body: { userId, method: 'sms' }, headers });
  }

  async outbox(to?: string): Promise<{ to: string; body: string; sentAt: string; provider: string }[]> {
    const reply = await this.request<{ to: string; body: string; sentAt: string; provider: string }[]>(
      'GET',
      `/local/outbox${to ? `?to=${encodeURIComponent(to)}` : ''}`,
    );
    return reply.body;
  }

  /** The code in the newest text message to `to`. */
  async latestCode(to: string): Promise<string> {
    const messages = await this.outbox(to);
    const code = /\b(\d{6})\b/.exec(messages.at(-1)?.body ?? '')?.[1];
    if (!code) throw new Error(`no code sent to ${to}`);
    return code;
  }

  /** The local clock as the runtime sees it, epoch milliseconds. */
  async clockNow(): Promise<number> {
    const reply = await this.request<{ now: string }>('GET', '/local/clock');
    return Date.parse(reply.body.now);
  }

  /**
   * Enrols an authenticator app for the user and confirms it with the current code, computed
   * as a phone would: from the secret in the otpauth URI the enrolment returned (R5).
   */
  async enrollAuthenticator(tenant: Tenant, userId: string): Promise<{ secret: Uint8Array; otpauthUri: string }> {
    const enrolled = await this.request<{ otpauthUri: string }>('POST', `/v1/admin/users/${userId}/authenticator`, { key: tenant.adminKey });
    if (enrolled.status !== 201) throw new Error(`not enrolled: ${JSON.stringify(enrolled.body)}`);
    const secret = secretOf(enrolled.body.otpauthUri);
    const code = totpAt(secret, await this.clockNow());
    const confirmed = await this.request('POST', `/v1/admin/users/${userId}/authenticator/confirm`, { key: tenant.adminKey, body: { code } });
    if (confirmed.status !== 200) throw new Error(`not confirmed: ${JSON.stringify(confirmed.body)}`);
    return { secret, otpauthUri: enrolled.body.otpauthUri };
  }

  async advanceClock(seconds: number): Promise<void> {
    const reply = await this.request('POST', '/local/clock', { body: { advanceSeconds: seconds } });
    if (reply.status !== 200) throw new Error('clock not advanced');
  }

  async freezeClock(frozen: boolean): Promise<void> {
    const reply = await this.request('POST', '/local/clock', { body: { frozen } });
    if (reply.status !== 200) throw new Error('clock not frozen');
  }

  /** Scripts what the local phone at `number` does with the next calls (press#, hangup, voicemail, …, or manual). */
  async scriptPhone(number: string, script: string): Promise<void> {
    const reply = await this.request('PUT', `/local/phone/${encodeURIComponent(number)}/script`, { body: { script } });
    if (reply.status !== 200) throw new Error(`phone not scripted: ${JSON.stringify(reply.body)}`);
  }

  /** The local phone at `number`: its script, the calls ringing now and every call it got. */
  async phone(number: string): Promise<{ script: string; ringing: { prompt: string; callerId: string }[]; calls: { action?: string; outcome?: string }[] }> {
    return (await this.request<{ script: string; ringing: { prompt: string; callerId: string }[]; calls: { action?: string; outcome?: string }[] }>('GET', `/local/phone/${encodeURIComponent(number)}`)).body;
  }

  async setSmsProvider(name: 'local-primary' | 'local-secondary', state: 'up' | 'down'): Promise<void> {
    await this.request('PUT', `/local/sms-providers/${name}`, { body: { state } });
  }

  /**
   * Makes DynamoDB requests fail (runtime started with `faultInjection`): each rule names an
   * operation and/or a logical table, the fault (`throttle`, `network`, `internal`), how many
   * matching requests to let through first (`after`) and how many to fail (`times`, default all).
   */
  async setFaults(rules: FaultRuleInput[]): Promise<void> {
    const reply = await this.request('PUT', '/local/faults', { body: { rules } });
    if (reply.status !== 200) throw new Error(`faults not set: ${JSON.stringify(reply.body)}`);
  }

  /** The fault rules in force and how many requests they failed. */
  async faults(): Promise<{ injected: number; rules: (FaultRuleInput & { matched: number; failed: number })[] }> {
    return (await this.request<{ injected: number; rules: (FaultRuleInput & { matched: number; failed: number })[] }>('GET', '/local/faults')).body;
  }

  async clearFaults(): Promise<void> {
    await this.request('DELETE', '/local/faults');
  }

  /**
   * Writes the tenant item directly, behind the API: the stored state a race or an older version
   * left (`update` is a DynamoDB SET expression over `values`). The runtime's handlers then read
   * the tenant afresh, as a container started after the write would (no API_KEY_CACHE_SECONDS wait).
   */
  async writeTenantItem(tenantId: string, update: string, values: Record<string, AttributeValue>): Promise<void> {
    await this.writeElsewhere(tenantKeys.tenant(tenantId), update, values);
    recentKeys().forgetTenant(tenantId);
  }

  /**
   * Updates an item of the tenants table the way another container would: behind this runtime's
   * back, so nothing here forgets what it read (API_KEY_CACHE_SECONDS applies).
   */
  async writeElsewhere(key: { pk: string; sk: string }, update: string, values: Record<string, AttributeValue>): Promise<void> {
    const client = localClient(this.runtime.dynamoEndpoint);
    try {
      await client.send(
        new UpdateItemCommand({
          TableName: process.env[TENANTS_TABLE.envVar] as string,
          Key: { pk: { S: key.pk }, sk: { S: key.sk } },
          UpdateExpression: update,
          ExpressionAttributeValues: values,
        }),
      );
    } finally {
      client.destroy();
    }
  }

  /** Every item of every table, raw, for checks that nothing was written or nothing secret is stored. */
  async allItems(): Promise<{ table: string; item: Record<string, AttributeValue> }[]> {
    // Log lines and usage written from the challenges' stream are there too.
    await this.runtime.drain();
    const client = localClient(this.runtime.dynamoEndpoint);
    try {
      const out: { table: string; item: Record<string, AttributeValue> }[] = [];
      for (const def of TABLES) {
        const table = process.env[def.envVar] as string;
        let start: Record<string, never> | undefined;
        do {
          const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
          for (const item of page.Items ?? []) out.push({ table: def.id, item });
          start = page.LastEvaluatedKey as Record<string, never> | undefined;
        } while (start);
      }
      return out;
    } finally {
      client.destroy();
    }
  }

  /**
   * Every item but the request-rate windows (R6: per tenant, per source of the push routes): those
   * count every request, refused ones too, or a flood of bad requests would go unthrottled.
   */
  async stateItems(): Promise<{ table: string; item: Record<string, AttributeValue> }[]> {
    const windows = ['C#tenant_rate#', 'C#tenant_requests#', 'C#source_rate#'];
    return (await this.allItems()).filter((i) => !(i.table === 'Throttle' && windows.some((w) => i.item.pk?.S?.startsWith(w))));
  }

  async itemCount(): Promise<number> {
    return (await this.allItems()).length;
  }
}

/** Checks a reply is an RFC 9457 problem with this status (and, when given, this problem type slug). */
export function expectProblem(reply: Reply, status: number, code?: string): void {
  expect(reply.status).toBe(status);
  expect(reply.headers.get('content-type')).toBe('application/problem+json');
  expect(reply.body).toMatchObject({ status, title: expect.any(String), type: expect.stringMatching(/^urn:tessera:problem:/) });
  if (code) expect(reply.body.type).toBe(`urn:tessera:problem:${code}`);
}
