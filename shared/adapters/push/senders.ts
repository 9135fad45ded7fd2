import { SNSClient } from '@aws-sdk/client-sns';
import type { Config } from '../../config';
import type { PushSender } from '../../ports';
import { localPush } from '../local/world';
import { SnsPushSender } from './sns-push-sender';
import { traced } from '../../observability';

/**
 * Where push notifications go (R9): SNS mobile push on AWS, the local device simulator locally.
 * Kept out of the shared composition, like the SMS route, so only the handlers that push bundle it.
 */
export function pushSender(config: Config): PushSender {
  if (config.runtime === 'local') return localPush;
  return new SnsPushSender(traced(new SNSClient({})), { ios: config.pushIosApplicationArn, android: config.pushAndroidApplicationArn });
}
