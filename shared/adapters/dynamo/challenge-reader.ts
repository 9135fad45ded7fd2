import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Challenge } from '../../domain/types';
import type { ChallengeStore } from '../../ports';
import { AUDITS_ATTRIBUTE } from './challenge-audits';

/** A stored challenge without its keys, TTL, sweep index entry and pending audits. */
export function challengeOfItem(item: Record<string, unknown> | undefined): Challenge | undefined {
  if (!item || typeof item.challengeId !== 'string') return undefined;
  const { pk: _pk, ttl: _ttl, gsi1pk: _due, gsi1sk: _deadline, [AUDITS_ATTRIBUTE]: _audits, ...challenge } = item;
  return challenge as unknown as Challenge;
}

/** One challenge, read consistently (the challenge store reads it so too). */
export async function readChallenge(db: DynamoDBDocumentClient, tableName: string, challengeId: string): Promise<Challenge | undefined> {
  const out = await db.send(new GetCommand({ TableName: tableName, Key: { pk: challengeId }, ConsistentRead: true }));
  return challengeOfItem(out.Item);
}

/**
 * Reads challenges and writes none: what a step-up check needs (recovery codes, passkeys,
 * remembered devices, method registrations), without the challenge store's writes, their
 * transactions and the throttle and credential items they carry.
 */
export class DynamoChallengeReader implements Pick<ChallengeStore, 'get'> {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  get(challengeId: string): Promise<Challenge | undefined> {
    return readChallenge(this.db, this.tableName, challengeId);
  }
}
