import { ConditionalCheckFailedException, TransactionCanceledException, type CancellationReason } from '@aws-sdk/client-dynamodb';

export function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException;
}

/** Reasons of a cancelled transaction (Code 'ConditionalCheckFailed', 'TransactionConflict', 'None', …). */
export function cancellationReasons(error: unknown): CancellationReason[] | undefined {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  return error.CancellationReasons ?? [];
}

/**
 * DynamoDB Local's answer where DynamoDB would cancel a transaction for a conflict (or simply
 * serve the read): it times out waiting for an item's lock and says the request "will succeed
 * in actual DynamoDB API". Retried like a conflict; DynamoDB itself never sends it.
 */
export function isLocalLockTimeout(error: unknown): boolean {
  const e = error as { name?: unknown; message?: unknown };
  return e.name === 'InternalServerError' && typeof e.message === 'string' && e.message.includes('waiting for a lock');
}
