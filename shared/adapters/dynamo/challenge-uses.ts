import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RememberUse, StepUpStore, StepUpUse } from '../../ports';
import { isConditionFailure } from './errors';

/**
 * The write that spends an approved challenge on one change it authorises (a registration after a
 * step-up, a remembered device), in that change's transaction: the challenge must be this
 * tenant's and user's, approved, approved recently enough, and not spent on this kind of change
 * before. `mark` names the kind: one approved challenge may authorise one of each.
 */
export function spendApprovedChallenge(challengesTable: string, use: StepUpUse | RememberUse, mark: 'stepUpUsedAt' | 'rememberedAt') {
  return {
    Update: {
      TableName: challengesTable,
      Key: { pk: use.challengeId },
      UpdateExpression: `SET ${mark} = :now`,
      ConditionExpression: `tenantId = :tenantId AND userId = :userId AND #status = :approved AND approvedAt > :after AND attribute_not_exists(${mark})`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':now': use.now, ':tenantId': use.tenantId, ':userId': use.userId, ':approved': 'approved', ':after': use.approvedAfter },
    },
  };
}

/** A step-up spent on its own (see StepUpStore), with the same mark as in a change's transaction. */
export class DynamoStepUpStore implements StepUpStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly challengesTable: string,
  ) {}

  async spend(use: StepUpUse): Promise<boolean> {
    try {
      await this.db.send(new UpdateCommand(spendApprovedChallenge(this.challengesTable, use, 'stepUpUsedAt').Update));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
