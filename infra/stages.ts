import { RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';

/**
 * What differs between a stage and another, all in one place (the "Stages" table of docs/deploying.md is
 * this object, written out). Any stage name other than `prod` gets the dev settings.
 */
export interface StageSettings {
  /** Tables, keys, log groups and the export bucket outlive the stack (prod) or go with it (dev). */
  readonly removalPolicy: RemovalPolicy;
  /** DynamoDB deletion protection on every table. */
  readonly deletionProtection: boolean;
  /** Retention of the handlers' and the state machine's log groups. */
  readonly functionLogRetention: logs.RetentionDays;
  /** Retention of the API access log. */
  readonly accessLogRetention: logs.RetentionDays;
  /** Stage-wide default throttling of the HTTP API (requests per second, burst). */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Powertools log level of the handlers. */
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN';
  /**
   * Origins a browser page may call the API from (CORS) when context `consoleOrigins` does not
   * say. None by default: the deployed console shares CloudFront's origin with the API.
   */
  readonly defaultCorsOrigins: readonly string[];
}

export const DEV: StageSettings = {
  removalPolicy: RemovalPolicy.DESTROY,
  deletionProtection: false,
  functionLogRetention: logs.RetentionDays.TWO_WEEKS,
  accessLogRetention: logs.RetentionDays.ONE_MONTH,
  // R6: twice a tenant's default request cap, so one tenant at its cap leaves half to the others.
  throttle: { rateLimit: 200, burstLimit: 400 },
  logLevel: 'DEBUG',
  defaultCorsOrigins: [],
};

export const PROD: StageSettings = {
  removalPolicy: RemovalPolicy.RETAIN,
  deletionProtection: true,
  functionLogRetention: logs.RetentionDays.THREE_MONTHS,
  // R23 keeps auth logs 90 days in DynamoDB; the access log is kept a year for investigations.
  accessLogRetention: logs.RetentionDays.ONE_YEAR,
  // R6: four times a tenant's default request cap (TENANT_REQUESTS_PER_SECOND).
  throttle: { rateLimit: 400, burstLimit: 800 },
  logLevel: 'INFO',
  defaultCorsOrigins: [],
};

export function stageSettings(stage: string): StageSettings {
  return stage === 'prod' ? PROD : DEV;
}
