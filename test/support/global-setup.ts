import { startDynamoLocal } from '../../infra/local/dynamo';

/** One DynamoDB Local for the whole run; each test file creates its own tables under its own prefix. */
export default async function globalSetup(): Promise<void> {
  const dynamo = await startDynamoLocal();
  process.env.TESSERA_TEST_DYNAMODB_ENDPOINT = dynamo.endpoint;
  (globalThis as { __tesseraDynamo?: typeof dynamo }).__tesseraDynamo = dynamo;
}
