/**
 * Infrastructure cost per million authentications from the resources one authentication used
 * (measured by `npm run bench`, see cost-flows.ts) and the list prices in one dated file.
 * Telephone charges (texts, call minutes) are kept apart: they are the carriers' and AWS's
 * messaging fees, not the cost of running the service.
 */
import prices from './aws-prices-2026-11.json';

/** The deployed functions' memory (infra/function.ts: arm64, 512 MB). */
export const LAMBDA_MEMORY_MB = 512;

export type PriceList = typeof prices;
export const PRICES: PriceList = prices;

/** What one authentication used, on average. */
export interface AuthResources {
  /** Requests through API Gateway (the relying app's and, for push, the phone's). */
  readonly apiRequests: number;
  readonly lambdaInvocations: number;
  /** Lambda duration as billed: each invocation rounded up to the millisecond. */
  readonly lambdaBilledMs: number;
  readonly dynamoRequests: number;
  readonly dynamoReadUnits: number;
  readonly dynamoWriteUnits: number;
  readonly stepFunctionsTransitions: number;
  readonly kmsRequests: number;
  readonly pushNotifications: number;
  readonly smsMessages: number;
  readonly voiceCalls: number;
  /** Billed call minutes (a call under a minute counts as one). */
  readonly voiceMinutes: number;
}

export interface CostPerMillion {
  /** USD per million authentications, by service. */
  readonly infrastructure: Record<string, number>;
  readonly infrastructureTotal: number;
  readonly telephone: Record<string, number>;
  readonly telephoneTotal: number;
}

const round = (usd: number) => Math.round(usd * 100) / 100;

export function gbSeconds(billedMs: number, memoryMb: number = LAMBDA_MEMORY_MB): number {
  return (billedMs / 1000) * (memoryMb / 1024);
}

export function costPerMillion(r: AuthResources, list: PriceList = PRICES, memoryMb: number = LAMBDA_MEMORY_MB): CostPerMillion {
  const p = list.infrastructure;
  const t = list.telephone;
  const million = 1_000_000;
  const infrastructure = {
    apiGateway: r.apiRequests * p.apiGatewayHttpRequest.usd * million,
    lambdaRequests: r.lambdaInvocations * p.lambdaRequest.usd * million,
    lambdaDuration: gbSeconds(r.lambdaBilledMs, memoryMb) * p.lambdaArmGbSecond.usd * million,
    dynamoDb: (r.dynamoReadUnits * p.dynamoDbReadRequestUnit.usd + r.dynamoWriteUnits * p.dynamoDbWriteRequestUnit.usd) * million,
    stepFunctions: r.stepFunctionsTransitions * p.stepFunctionsStandardTransition.usd * million,
    kms: r.kmsRequests * p.kmsRequest.usd * million,
    snsPush: r.pushNotifications * p.snsMobilePush.usd * million,
  };
  const telephone = {
    sms: r.smsMessages * (t.smsUs.usd + t.smsUsCarrierFee.usd) * million,
    voice: r.voiceMinutes * (t.pstnAudioMinute.usd + t.pstnOutboundUsMinute.usd) * million,
  };
  const total = (o: Record<string, number>) => round(Object.values(o).reduce((a, b) => a + b, 0));
  const rounded = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, round(v)]));
  return { infrastructure: rounded(infrastructure), infrastructureTotal: total(infrastructure), telephone: rounded(telephone), telephoneTotal: total(telephone) };
}
