import type { DynamoLocal } from '../../infra/local/dynamo';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __tesseraDynamo?: DynamoLocal }).__tesseraDynamo?.stop();
}
