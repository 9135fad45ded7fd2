import { PinpointClient } from '@aws-sdk/client-pinpoint';
import type { Config } from '../../config';
import { libraryPhoneClassifier } from '../../domain/phone';
import type { PhoneClassifier } from '../../ports';
import { PinpointPhoneClassifier } from './pinpoint-phone-classifier';
import { traced } from '../../observability';

/** R30: Pinpoint's PhoneNumberValidate on AWS; the phone-number library's metadata locally. */
export function phoneClassifier(config: Config): PhoneClassifier {
  return config.runtime === 'local' ? libraryPhoneClassifier : new PinpointPhoneClassifier(traced(new PinpointClient({})));
}
