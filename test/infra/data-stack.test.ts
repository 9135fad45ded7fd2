import { Template } from 'aws-cdk-lib/assertions';
import { CHALLENGES_TABLE, TABLES } from '../../shared/tables';
import { buildTestApp, logicalId } from './support';

describe('DataStack', () => {
  const dev = buildTestApp();
  const template = Template.fromStack(dev.data);
  const tableKeyId = logicalId(dev.data, dev.data.tableKey);

  it('creates exactly one table per definition in TABLES, with its keys', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', TABLES.length);
    for (const definition of TABLES) {
      const keys = [definition.partitionKey, ...(definition.sortKey ? [definition.sortKey] : [])];
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: keys.map((key, i) => ({ AttributeName: key.name, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
        AttributeDefinitions: keys.map((key) => ({ AttributeName: key.name, AttributeType: key.type })),
      });
    }
  });

  it('every table has the global secondary indexes its definition names, all attributes projected', () => {
    for (const definition of TABLES) {
      const indexes = (definition.indexes ?? []).map((index) => ({
        IndexName: index.name,
        KeySchema: [index.partitionKey, ...(index.sortKey ? [index.sortKey] : [])].map((key, i) => ({
          AttributeName: key.name,
          KeyType: i === 0 ? 'HASH' : 'RANGE',
        })),
        Projection: { ProjectionType: 'ALL' },
      }));
      const table = template.findResources('AWS::DynamoDB::Table')[logicalId(dev.data, dev.data.table(definition))];
      expect(table?.Properties.GlobalSecondaryIndexes ?? []).toEqual(indexes);
    }
  });

  it('every table is on-demand, has point-in-time recovery and is encrypted with the customer-managed table key', () => {
    const tables = Object.values(template.findResources('AWS::DynamoDB::Table'));
    expect(tables).toHaveLength(TABLES.length);
    for (const table of tables) {
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [tableKeyId, 'Arn'] } },
      });
    }
  });

  it('R1: challenges expire through TTL on the attribute their definition names', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: CHALLENGES_TABLE.partitionKey.name, KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: CHALLENGES_TABLE.ttlAttribute, Enabled: true },
    });
  });

  it('R23/R24: only the Challenges table has a stream, with both images of every change, for the projection', () => {
    const streams = Object.values(template.findResources('AWS::DynamoDB::Table'))
      .filter((t) => t.Properties.StreamSpecification)
      .map((t) => ({ key: t.Properties.KeySchema, stream: t.Properties.StreamSpecification }));
    expect(streams).toEqual([{ key: [{ AttributeName: CHALLENGES_TABLE.partitionKey.name, KeyType: 'HASH' }], stream: { StreamViewType: 'NEW_AND_OLD_IMAGES' } }]);
  });

  it('has a table key and a separate secrets key, both customer-managed with rotation on', () => {
    template.resourceCountIs('AWS::KMS::Key', 2);
    template.allResourcesProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    expect(logicalId(dev.data, dev.data.secretsKey)).not.toBe(tableKeyId);
  });

  it('dev: tables and keys go away with the stack, and tables are not deletion-protected', () => {
    template.allResources('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    for (const table of Object.values(template.findResources('AWS::DynamoDB::Table'))) {
      expect(table.Properties.DeletionProtectionEnabled ?? false).toBe(false);
    }
    template.allResources('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
  });

  it('prod: tables and keys are retained and tables are deletion-protected', () => {
    const prod = Template.fromStack(buildTestApp({ stage: 'prod' }).data);
    prod.allResources('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    prod.allResourcesProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
    prod.allResources('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
  });
});
