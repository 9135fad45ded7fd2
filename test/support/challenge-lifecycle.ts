import { ChallengeVerifier } from '../../shared/domain/challenge-verifier';
import { ChallengeService, type ChallengeDeps } from '../../shared/domain/challenges';

/**
 * A challenge's whole life in one object, for the domain tests: the ChallengeService starts,
 * resends and reads it, and the ChallengeVerifier checks its answers, each built from the same
 * dependencies, as the handlers build them one at a time.
 */
export function challengeLifecycle(deps: ChallengeDeps): Pick<ChallengeService, 'create' | 'resend' | 'get'> & Pick<ChallengeVerifier, 'verify'> {
  const service = new ChallengeService(deps);
  const verifier = new ChallengeVerifier(deps);
  return {
    create: (...args) => service.create(...args),
    resend: (...args) => service.resend(...args),
    get: (...args) => service.get(...args),
    verify: (...args) => verifier.verify(...args),
  };
}
