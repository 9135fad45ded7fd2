import { PinpointSMSVoiceV2Client } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Config } from '../../config';
import type { Log, Metrics, SmsSender } from '../../ports';
import { traced } from '../../observability';
import { LOCAL_SMS_PROVIDERS, localOutbox } from '../local/world';
import { EndUserMessagingSmsSender } from './eum-sms-sender';
import { FailoverSmsSender } from './failover-sms-sender';
import { SnsSmsSender } from './sns-sms-sender';

/**
 * The SMS route for where the code runs (R16): SNS then End User Messaging on AWS, the two
 * local providers in the local runtime. Kept out of the shared composition so that handlers
 * which never send a text do not bundle the SNS and End User Messaging clients.
 */
export function smsSenders(config: Config, log: Log, metrics?: Metrics): SmsSender {
  return new FailoverSmsSender(
    config.runtime === 'local'
      ? LOCAL_SMS_PROVIDERS.map((name) => localOutbox.provider(name))
      : [
          new SnsSmsSender(traced(new SNSClient({}))),
          new EndUserMessagingSmsSender(traced(new PinpointSMSVoiceV2Client({})), config.smsOriginationIdentity),
        ],
    log,
    metrics,
  );
}
