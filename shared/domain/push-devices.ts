/**
 * Push with number matching (R9) and device activation (R18): the service behind activation
 * codes, the device's signed answer, and the 60-second timeout (the phone's activation itself is
 * ./push-activation.ts).
 *
 * The pure checks (number, signature, age) are in ./push.ts; this module adds the records and
 * the rules around them: a device is bound to the tenant's provider generation at activation,
 * and a denied, wrong-number or unanswered prompt counts towards fatigue (R7) exactly once.
 */
import { PUSH_ACTIVATION_TTL_SECONDS } from '../rules';
import type { Clock, Log, PushChallengeStore, PushDeviceStore, PushSender, SecretBox, TenantStore, ThrottleStore, UserStore } from '../ports';
import { ChallengeFinishedError, NotFoundError, PushDeviceNotActivatedError, RetryLaterError, UnauthenticatedError } from './errors';
import { ownerCheckOf } from './credentials';
import { keyContext } from './push-activation';
import { PushSettlement, pushTimedOut } from './push-settlement';
import { generateActivationCode, generateDeviceKey, hashActivationCode, verifyDeviceResponse, type PushDecision } from './push';
import type { Challenge, DenialReason, Principal, Tenant, User } from './types';
import { userScope } from './users';

/** R18: the one answer for a push to a device activated under an earlier provider. */
export const NOT_ACTIVATED = 'Authentication request is not for an activated account';

export type { PushActivationRecord, PushDeviceRecord } from './push-records';

export interface DeviceAnswer {
  readonly deviceId: string;
  readonly challengeId: string;
  readonly decision: PushDecision;
  readonly number?: number;
  readonly timestamp: number;
  readonly signature: string;
}

export interface PushDeps {
  readonly devices: PushDeviceStore;
  readonly challenges: PushChallengeStore;
  readonly tenants: Pick<TenantStore, 'getTenant'>;
  readonly users: UserStore;
  readonly throttle: ThrottleStore;
  readonly sender: PushSender;
  readonly box: SecretBox;
  readonly clock: Clock;
  readonly log: Log;
}

const BAD_RESPONSE = 'The device response is not valid: unknown device, bad signature, or too old';

/** How many due pushes the sweep settles at once. */
const SWEEP_CONCURRENCY = 10;

/** Checked against when the device id is unknown: a key no device has, drawn once per process (R27). */
const UNKNOWN_DEVICE_KEY = generateDeviceKey();

export class PushService {
  /** How a push is settled, with its log line and fatigue count (R9/R7). */
  private readonly settlement: PushSettlement;

  constructor(private readonly deps: PushDeps) {
    this.settlement = new PushSettlement(deps);
  }

  /**
   * R18: a one-time activation code for the user's phone, shown once, and the `tessera://` URI
   * its QR code carries (drawn by the enrolment handler, so that the push handlers sharing this
   * service do not bundle the QR and PNG encoders).
   */
  async issueActivation(principal: Principal, userId: string): Promise<{ activationCode: string; expiresAt: string; uri: string }> {
    const scope = userScope(principal);
    const user = await this.deps.users.getUser(scope, userId);
    if (!user) throw new NotFoundError('No such user');
    const now = this.deps.clock.now();
    const code = generateActivationCode();
    const expiresAt = now + PUSH_ACTIVATION_TTL_SECONDS * 1000;
    await this.deps.devices.putActivation({
      codeHash: hashActivationCode(code),
      tenantId: principal.tenantId,
      userId,
      space: scope.space,
      generation: (principal.tenant.provider as NonNullable<Tenant['provider']>).generation,
      createdAt: now,
      expiresAt,
      ...(user.credentialEpoch ? { epoch: user.credentialEpoch } : {}),
    });
    this.deps.log.info('push activation issued', { userId });
    const uri = `tessera://push/activate?code=${encodeURIComponent(code)}`;
    return { activationCode: code, expiresAt: new Date(expiresAt).toISOString(), uri };
  }

  /** R9/R18: the device a push challenge for this user goes to; refused when it was activated under another provider. */
  deviceFor(principal: Principal, user: User): NonNullable<User['push']> {
    const marker = user.push;
    if (!marker) throw new NotFoundError('The user has no push device');
    if (marker.generation !== principal.tenant.provider?.generation) {
      throw new PushDeviceNotActivatedError(NOT_ACTIVATED, { reason: 'device_not_activated' });
    }
    return marker;
  }

  /** R9: sends the prompt (app name, location, IP — never the number) to the device. */
  async notify(challenge: Challenge, location?: string): Promise<void> {
    const deviceId = (challenge.push as NonNullable<Challenge['push']>).deviceId;
    const device = await this.deps.devices.getDevice(deviceId);
    if (!device) throw new Error('push device record missing');
    await this.deps.sender.send(device.endpoint, {
      deviceId,
      challengeId: challenge.challengeId,
      ...(challenge.audit.appName ? { appName: challenge.audit.appName } : {}),
      ...(location ? { location } : {}),
      ...(challenge.audit.clientIp ? { clientIp: challenge.audit.clientIp } : {}),
      expiresAt: new Date(challenge.expiresAt).toISOString(),
    });
  }

  /**
   * R9: the device's signed answer. A bad signature or a stale answer changes nothing (401); a
   * wrong number denies; so does a denial. Either denial counts towards fatigue (R7).
   */
  async respond(answer: DeviceAnswer): Promise<{ challengeId: string; status: 'approved' | 'denied'; reason?: DenialReason }> {
    const { devices, challenges, tenants, box, clock, log } = this.deps;
    const now = clock.now();
    const [device, challenge] = await Promise.all([devices.getDevice(answer.deviceId), challenges.get(answer.challengeId)]);
    // R27: an unknown device id costs the same reads and HMAC as a known one, and gets the same answer.
    const key = device ? await box.decrypt(device.encryptedKey, keyContext(device)) : UNKNOWN_DEVICE_KEY;
    const check = verifyDeviceResponse({
      key,
      response: {
        challengeId: answer.challengeId,
        decision: answer.decision,
        ...(answer.number !== undefined ? { number: answer.number } : {}),
        timestamp: answer.timestamp,
      },
      signature: answer.signature,
      nowMs: now,
      expected: { challengeId: answer.challengeId, number: challenge?.push?.number ?? -1 },
    });
    if (!device || (check.kind === 'invalid' && check.reason !== 'wrong_number')) {
      // The reason is for the log only: told to the caller, it would say whether the device id exists (R27).
      log.warn('push response refused', { deviceId: answer.deviceId, reason: device && check.kind === 'invalid' ? check.reason : 'unknown_device' });
      throw new UnauthenticatedError(BAD_RESPONSE);
    }
    if (!challenge || challenge.tenantId !== device.tenantId || challenge.push?.deviceId !== device.deviceId) {
      throw new NotFoundError('No such challenge');
    }
    const tenant = await tenants.getTenant(device.tenantId);
    if (tenant?.provider?.generation !== device.generation) {
      throw new PushDeviceNotActivatedError(NOT_ACTIVATED, { reason: 'device_not_activated' });
    }
    const current = await this.settleTimeout(challenge, now);
    if (current.status !== 'pending') {
      throw new ChallengeFinishedError(`The challenge is already ${current.status}`, {
        status: current.status,
        ...(current.denialReason ? { reason: current.denialReason } : {}),
      });
    }
    const result: { kind: 'approve' } | { kind: 'deny'; reason: DenialReason } =
      check.kind === 'invalid' ? { kind: 'deny', reason: 'wrong_number' } : check.decision === 'approve' ? { kind: 'approve' } : { kind: 'deny', reason: 'denied' };
    const settle = { challengeId: challenge.challengeId, tenantId: challenge.tenantId, now };
    // R7: a denial or wrong number counts towards fatigue in the transaction that settles it.
    const outcome = await this.settlement.settle(challenge, { ...settle, result, ...ownerCheckOf(challenge, result.kind === 'approve') }, result.kind === 'deny' ? now : undefined);
    if (outcome.kind === 'throttled') throw new RetryLaterError('The user\'s state is busy with concurrent changes; try again', 1);
    if (outcome.kind === 'revoked') {
      // R19: the user was deleted or reset after this push went out: it can never be approved.
      const revoked = { kind: 'deny' as const, reason: 'revoked' as const };
      await challenges.settlePush({ ...settle, result: revoked }, this.settlement.auditFor(challenge, revoked, now));
      throw new ChallengeFinishedError('The challenge is already denied', { status: 'denied', reason: 'revoked' });
    }
    if (outcome.kind !== 'done') {
      const latest = outcome.kind === 'refused' && outcome.current ? await this.settleTimeout(outcome.current, now) : challenge;
      throw new ChallengeFinishedError('The challenge is no longer open', { status: latest.status });
    }
    log.info('push answered', { challengeId: challenge.challengeId, result: result.kind, ...(result.kind === 'deny' ? { reason: result.reason } : {}) });
    return result.kind === 'approve'
      ? { challengeId: challenge.challengeId, status: 'approved' }
      : { challengeId: challenge.challengeId, status: 'denied', reason: result.reason };
  }

  /**
   * R7: settles every push still listed as open whose deadline has passed, so an ignored prompt
   * counts towards fatigue even when nobody reads the challenge. Runs every minute (an
   * EventBridge rule on AWS, a timer on the local clock locally) through {@link settleTimeout},
   * whose conditional write lets exactly one of the sweep and any reader count each timeout.
   * A push it cannot settle (the transaction, fatigue count included, failed or kept losing its
   * race) is still open and listed, so the next run counts it; the run fails so that it is seen.
   */
  async sweepTimeouts(): Promise<{ checked: number }> {
    const { challenges, clock, log } = this.deps;
    const now = clock.now();
    let checked = 0;
    let failed = 0;
    for await (const ids of challenges.duePushes(now)) {
      for (let i = 0; i < ids.length; i += SWEEP_CONCURRENCY) {
        await Promise.all(
          ids.slice(i, i + SWEEP_CONCURRENCY).map(async (challengeId) => {
            try {
              // The index may lag: the challenge itself says whether it is still open.
              const challenge = await challenges.get(challengeId);
              if (challenge && pushTimedOut(await this.settleTimeout(challenge, now), now)) throw new Error('the user\'s fatigue state kept changing');
              checked++;
            } catch (error) {
              failed++;
              log.error('push timeout not settled; the next sweep tries again', { challengeId, error: String(error) });
            }
          }),
        );
      }
    }
    if (failed > 0) throw new Error(`${failed} push timeouts not settled`);
    return { checked };
  }

  /** R9/R7: a pending push past its deadline is denied as `timeout` (./push-settlement.ts). */
  async settleTimeout(challenge: Challenge, now: number): Promise<Challenge> {
    return this.settlement.settleTimeout(challenge, now);
  }
}
