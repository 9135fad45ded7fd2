import type { PhoneType } from '../domain/types';

/** R30: what kind of line a number is. Pinpoint's PhoneNumberValidate on AWS, the library locally. */
export interface PhoneClassifier {
  classify(e164: string): Promise<PhoneType>;
}
