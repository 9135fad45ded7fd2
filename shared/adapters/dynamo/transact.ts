import { TransactWriteCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { RetryLaterError } from '../../domain/errors';
import { cancellationReasons, isLocalLockTimeout } from './errors';

type TransactItems = NonNullable<TransactWriteCommandInput['TransactItems']>;

/** One write of a transaction, as the stores build them. */
export type TransactItem = TransactItems[number];

export type TransactOutcome =
  | { readonly kind: 'done' }
  /** Item `index` failed its condition; `item` is that item as it is now, when it exists. */
  | { readonly kind: 'condition-failed'; readonly index: number; readonly item?: Record<string, unknown> };

const MAX_CONFLICT_RETRIES = 8;

/**
 * One TransactWriteItems. Conflicts with concurrent transactions on the same items are
 * retried with jittered backoff; a failed condition is returned with the item as it is now
 * (ReturnValuesOnConditionCheckFailure ALL_OLD on the conditional items).
 */
export async function transact(db: DynamoDBDocumentClient, items: TransactItems): Promise<TransactOutcome> {
  for (let attempt = 0; ; attempt++) {
    try {
      await db.send(new TransactWriteCommand({ TransactItems: items }));
      return { kind: 'done' };
    } catch (error) {
      const reasons = isLocalLockTimeout(error) ? [] : cancellationReasons(error);
      if (!reasons) throw error;
      const failed = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
      if (failed >= 0) {
        const item = reasons[failed]?.Item;
        return { kind: 'condition-failed', index: failed, ...(item ? { item: unmarshall(item) } : {}) };
      }
      if (attempt >= MAX_CONFLICT_RETRIES) {
        throw new RetryLaterError('The item is busy with concurrent changes; try again', 1);
      }
      await sleep(Math.random() * 5 * 2 ** Math.min(attempt, 6));
    }
  }
}
