import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ServiceSecretStore, SigningKeyRecord, SigningKeyStore } from '../../ports';
import { isConditionFailure } from './errors';

/**
 * Service-wide key material in the tenants table:
 * - assertion signing key   SIGNING_KEYS / <kid>
 * - service secret          SECRET       / <name>
 */
export class DynamoKeyMaterialStore implements SigningKeyStore, ServiceSecretStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async list(): Promise<SigningKeyRecord[]> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'SIGNING_KEYS' },
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []).map(({ pk: _pk, sk: _sk, ...record }) => record as SigningKeyRecord);
  }

  async put(record: SigningKeyRecord): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: 'SIGNING_KEYS', sk: record.kid, ...record },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(name: string): Promise<string | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { pk: 'SECRET', sk: name }, ConsistentRead: true }));
    return typeof out.Item?.encrypted === 'string' ? out.Item.encrypted : undefined;
  }

  async putIfAbsent(name: string, encrypted: string): Promise<string> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: 'SECRET', sk: name, encrypted },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return encrypted;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return (await this.get(name)) as string;
    }
  }
}
