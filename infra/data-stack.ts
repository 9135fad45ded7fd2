import { Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { StageSettings } from './stages';
import { TABLES, type AttributeType, type KeyAttribute, type TableDefinition } from '../shared/tables';

export interface DataStackProps extends StackProps {
  /** Deployment stage; `prod` keeps data and keys when the stack is deleted. */
  readonly stage: string;
  /** What differs between dev and prod (infra/stages.ts). */
  readonly settings: StageSettings;
}

/** A table together with the definition it was made from (its env var, keys, TTL). */
export interface TableBinding {
  readonly definition: TableDefinition;
  readonly table: dynamodb.ITable;
}

const ATTRIBUTE_TYPES: Record<AttributeType, dynamodb.AttributeType> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
};

function attribute(key: KeyAttribute): dynamodb.Attribute {
  return { name: key.name, type: ATTRIBUTE_TYPES[key.type] };
}

/**
 * Everything that holds state: one DynamoDB table per entry of `TABLES` (with the global
 * secondary indexes it defines, all attributes projected), the customer-managed
 * key the tables are encrypted with, and the key that seals service secrets (TOTP seeds,
 * assertion signing keys, the code HMAC key) before they are stored (R28).
 */
export class DataStack extends Stack {
  /** Encrypts every table at rest. */
  readonly tableKey: kms.Key;
  /** Handlers Encrypt/Decrypt secrets with it; its ARN reaches them as `ENV.secretsKmsKeyId`. */
  readonly secretsKey: kms.Key;
  /** One binding per entry of `TABLES`, in the same order. */
  readonly tables: readonly TableBinding[];

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    // A dev stack is disposable; in prod, deleting the stack must never delete customer data.
    const { removalPolicy, deletionProtection } = props.settings;

    this.tableKey = new kms.Key(this, 'TableKey', {
      description: `Tessera ${props.stage}: encryption at rest of the DynamoDB tables`,
      enableKeyRotation: true,
      removalPolicy,
    });
    this.secretsKey = new kms.Key(this, 'SecretsKey', {
      description: `Tessera ${props.stage}: envelope for service secrets (TOTP seeds, signing keys, code HMAC key)`,
      enableKeyRotation: true,
      removalPolicy,
    });

    this.tables = TABLES.map((definition) => {
      const table = new dynamodb.Table(this, definition.id, {
        partitionKey: attribute(definition.partitionKey),
        ...(definition.sortKey ? { sortKey: attribute(definition.sortKey) } : {}),
        ...(definition.ttlAttribute ? { timeToLiveAttribute: definition.ttlAttribute } : {}),
        ...(definition.stream ? { stream: dynamodb.StreamViewType[definition.stream] } : {}),
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: this.tableKey,
        deletionProtection,
        removalPolicy,
      });
      for (const index of definition.indexes ?? []) {
        table.addGlobalSecondaryIndex({
          indexName: index.name,
          partitionKey: attribute(index.partitionKey),
          ...(index.sortKey ? { sortKey: attribute(index.sortKey) } : {}),
          projectionType: dynamodb.ProjectionType.ALL,
        });
      }
      return { definition, table };
    });
  }

  /** The table made from `definition`; throws if it is not one of `TABLES`. */
  table(definition: TableDefinition): dynamodb.ITable {
    const binding = this.tables.find((b) => b.definition.id === definition.id);
    if (!binding) throw new Error(`No table for definition "${definition.id}"`);
    return binding.table;
  }
}
