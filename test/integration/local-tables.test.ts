import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { createTableInput, ensureTables, localClient } from '../../infra/local/dynamo';
import { TENANTS_TABLE } from '../../shared/tables';

describe('the local runtime keeps old data usable', () => {
  it('adds an index the definitions gained to a table kept from an older version', async () => {
    const endpoint = process.env.TESSERA_TEST_DYNAMODB_ENDPOINT as string;
    const prefix = `old${randomBytes(4).toString('hex')}-`;
    const tableName = `${prefix}${TENANTS_TABLE.id}`;
    const client = localClient(endpoint);
    try {
      const { GlobalSecondaryIndexes: _none, ...withoutIndexes } = createTableInput(TENANTS_TABLE, tableName);
      await client.send(new CreateTableCommand({ ...withoutIndexes, AttributeDefinitions: withoutIndexes.AttributeDefinitions?.slice(0, 2) }));
      await ensureTables(endpoint, prefix);
      const table = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
      expect((table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName)).toEqual(TENANTS_TABLE.indexes.map((i) => i.name));
    } finally {
      client.destroy();
    }
  });
});
