import { SFNClient } from '@aws-sdk/client-sfn';
import { ENV, type Config } from '../../config';
import type { VoiceRollover } from '../../ports';
import { localVoice } from '../local/world';
import { SfnVoiceRollover } from './sfn-rollover';
import { traced } from '../../observability';

/**
 * Where voice rollovers run (R13): the Standard state machine on AWS, the same definition
 * in-process locally. Kept out of the shared composition, like the SMS route, so that only the
 * handler that starts calls bundles the Step Functions client.
 */
export function voiceRollover(config: Config): VoiceRollover {
  if (config.runtime === 'local') return localVoice;
  if (!config.voiceStateMachineArn) throw new Error(`Invalid configuration: ${ENV.voiceStateMachineArn} is required to start voice calls`);
  return new SfnVoiceRollover(traced(new SFNClient({})), config.voiceStateMachineArn);
}
