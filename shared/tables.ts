/**
 * Every DynamoDB table, defined once. The CDK data stack and the local runtime both create
 * tables from these definitions; handlers find the physical names in the environment
 * variables named here.
 */

export type AttributeType = 'S' | 'N';

export interface KeyAttribute {
  readonly name: string;
  readonly type: AttributeType;
}

export interface IndexDefinition {
  readonly name: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
}

export interface TableDefinition {
  /** Short logical name: CDK construct id and the suffix of the local table name. */
  readonly id: string;
  /** Environment variable through which handlers receive the physical table name. */
  readonly envVar: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Attribute holding the expiry in epoch seconds (R1: readers still check expiry themselves). */
  readonly ttlAttribute?: string;
  /** Global secondary indexes (all attributes projected). */
  readonly indexes?: readonly IndexDefinition[];
  /** The table's change stream, when something reads it (both images of every change). */
  readonly stream?: 'NEW_AND_OLD_IMAGES';
}

/** The one secondary index shape every table uses: an overloaded gsi1pk/gsi1sk pair. */
export const GSI1 = {
  name: 'gsi1',
  partitionKey: { name: 'gsi1pk', type: 'S' },
  sortKey: { name: 'gsi1sk', type: 'S' },
} as const satisfies IndexDefinition;

/**
 * Challenges (R1–R3) and Idempotency-Key records. Items expire with their code. gsi1 (sparse)
 * holds the open pushes by deadline, for the sweep that settles ignored prompts (R7). Its stream
 * feeds the projection that writes each change's auth-log lines, usage and billing meter (R23, R24).
 */
export const CHALLENGES_TABLE = {
  id: 'Challenges',
  envVar: 'CHALLENGES_TABLE',
  partitionKey: { name: 'pk', type: 'S' },
  ttlAttribute: 'ttl',
  indexes: [GSI1],
  stream: 'NEW_AND_OLD_IMAGES',
} as const satisfies TableDefinition;

/**
 * Tenants, providers, settings, API keys, users, signing keys and service secrets
 * (single-table, pk/sk). gsi1 lists a tenant's API keys.
 */
export const TENANTS_TABLE = {
  id: 'Tenants',
  envVar: 'TENANTS_TABLE',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  indexes: [GSI1],
} as const satisfies TableDefinition;

/**
 * Auth logs (R23) and admin notifications, newest first by time-ordered sort keys, kept 90
 * days. gsi1 serves the per-user log query.
 */
export const LOGS_TABLE = {
  id: 'Logs',
  envVar: 'LOGS_TABLE',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  ttlAttribute: 'ttl',
  indexes: [GSI1],
} as const satisfies TableDefinition;

/** Per-tenant monthly usage counters (day × method × result), written atomically with their log lines by the challenge projection. */
export const USAGE_TABLE = {
  id: 'Usage',
  envVar: 'USAGE_TABLE',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
} as const satisfies TableDefinition;

/**
 * Throttling state (R6–R8): each user's sliding log, wrong-code streak and fatigue pause, and
 * fixed-window counters per destination number and per tenant. Every item expires (TTL).
 */
export const THROTTLE_TABLE = {
  id: 'Throttle',
  envVar: 'THROTTLE_TABLE',
  partitionKey: { name: 'pk', type: 'S' },
  ttlAttribute: 'ttl',
} as const satisfies TableDefinition;

export const TABLES: readonly TableDefinition[] = [CHALLENGES_TABLE, TENANTS_TABLE, LOGS_TABLE, USAGE_TABLE, THROTTLE_TABLE];
