import { NUMBER_OVER_CAP_ERROR } from '../../../shared/voice/place-call';
import { ATTEMPT_OUTCOMES, decide } from '../../../shared/voice/outcomes';
import { isVoiceSummary, type RolloverState, type VoiceProgress, type VoiceRolloverSummary, type VoiceStep } from '../../../shared/voice/schemas';
import { attemptOutcomeOf, runRolloverStep, verdictAfter } from '../../../shared/voice/step';
import { FakeClock, SilentLog, T0 } from '../../support/fakes';

const PRIMARY = '+14155550101';
const BACKUP = '+14155550102';
const AT = new Date(T0).toISOString();

const START: RolloverState = { challengeId: 'ch_1', tenantId: 'tn_1', numbers: [PRIMARY, BACKUP], callerId: '+12065550199', appName: 'Acme VPN' };

function deps(options: { failProgress?: boolean; failFinish?: boolean } = {}) {
  const recorded: VoiceStep[] = [];
  const log = new SilentLog();
  return {
    recorded,
    log,
    progress: () => recorded.filter((s): s is VoiceProgress => !isVoiceSummary(s)),
    summaries: () => recorded.filter((s): s is VoiceRolloverSummary => isVoiceSummary(s)),
    deps: {
      record: async (step: VoiceStep) => {
        if (isVoiceSummary(step) ? options.failFinish : options.failProgress) throw new Error('table unavailable');
        recorded.push(step);
      },
      clock: new FakeClock(),
      log,
    },
  };
}

describe('the step task after each call (the voice-finish function, the same locally)', () => {
  it('R12 next: records the attempt as progress and returns the state for the next number', async () => {
    const world = deps();
    const next = await runRolloverStep({ step: 'next', rollover: { ...START, call: { outcome: 'voicemail' } } }, world.deps);
    const attempt = { index: 0, number: PRIMARY, outcome: 'voicemail', at: AT };
    expect(next).toEqual({ ...START, numbers: [BACKUP], attempts: [attempt] });
    expect(world.recorded).toEqual([{ challengeId: 'ch_1', tenantId: 'tn_1', attempt }]);
  });

  it('the next attempt is numbered after the ones already made', async () => {
    const world = deps();
    const earlier = { index: 0, number: PRIMARY, outcome: 'busy' as const, at: AT };
    const third = '+14155550103';
    const next = await runRolloverStep(
      { step: 'next', rollover: { ...START, numbers: [BACKUP, third], attempts: [earlier], call: { outcome: 'no_answer' } } },
      world.deps,
    );
    expect(next).toMatchObject({ numbers: [third], attempts: [earlier, { index: 1, number: BACKUP, outcome: 'no_answer' }] });
  });

  it('a failed progress record never stops the rollover', async () => {
    const world = deps({ failProgress: true });
    const next = await runRolloverStep({ step: 'next', rollover: { ...START, call: { outcome: 'busy' } } }, world.deps);
    expect(next).toMatchObject({ numbers: [BACKUP], attempts: [{ outcome: 'busy' }] });
    expect(world.log.entries).toEqual([expect.objectContaining({ level: 'warn', message: 'voice attempt not recorded as progress' })]);
    expect(JSON.stringify(world.log.entries)).not.toContain(PRIMARY);
  });

  it('R10/R11/R14 finish: the result is what decide() says of the last attempt, recorded with every attempt', async () => {
    for (const outcome of ['approved', 'denied', 'fraud'] as const) {
      const world = deps();
      const summary = await runRolloverStep({ step: 'finish', rollover: { ...START, call: { outcome } } }, world.deps);
      const expected = { challengeId: 'ch_1', tenantId: 'tn_1', result: decide(outcome), attempts: [{ index: 0, number: PRIMARY, outcome, at: AT }] };
      expect(summary).toEqual(expected);
      // Progress first (the status shows the call), then the result.
      expect(world.recorded).toEqual([{ challengeId: 'ch_1', tenantId: 'tn_1', attempt: expected.attempts[0] }, expected]);
    }
  });

  it('R13 finish after the last number rolled over: unreachable', async () => {
    const world = deps();
    const earlier = { index: 0, number: PRIMARY, outcome: 'busy' as const, at: AT };
    const summary = await runRolloverStep({ step: 'finish', rollover: { ...START, numbers: [BACKUP], attempts: [earlier], call: { Error: 'States.Timeout' } } }, world.deps);
    expect(summary).toMatchObject({ result: { kind: 'deny', reason: 'unreachable' }, attempts: [earlier, { index: 1, number: BACKUP, outcome: 'timeout' }] });
  });

  it('R13 finish with no number at all: unreachable, no attempt, no progress', async () => {
    const world = deps();
    const summary = await runRolloverStep({ step: 'finish', rollover: { ...START, numbers: [] } }, world.deps);
    expect(summary).toEqual({ challengeId: 'ch_1', tenantId: 'tn_1', result: { kind: 'deny', reason: 'unreachable' }, attempts: [] });
    expect(world.progress()).toEqual([]);
    expect(world.summaries()).toEqual([summary]);
  });

  it('R14 a failed result record fails the step, so that the state machine retries it', async () => {
    const world = deps({ failFinish: true });
    await expect(runRolloverStep({ step: 'finish', rollover: { ...START, call: { outcome: 'fraud' } } }, world.deps)).rejects.toThrow(/table unavailable/);
  });

  it('next refuses an attempt that stops the rollover, or a state with no number after this one', async () => {
    const world = deps();
    for (const outcome of ['approved', 'denied', 'fraud'] as const) {
      await expect(runRolloverStep({ step: 'next', rollover: { ...START, call: { outcome } } }, world.deps)).rejects.toThrow(/cannot go on/);
    }
    await expect(runRolloverStep({ step: 'next', rollover: { ...START, numbers: [PRIMARY], call: { outcome: 'busy' } } }, world.deps)).rejects.toThrow(
      /cannot go on/,
    );
    await expect(runRolloverStep({ step: 'next', rollover: START }, world.deps)).rejects.toThrow(/cannot go on/);
  });

  it('refuses a payload of another shape, without recording anything', async () => {
    const world = deps();
    for (const payload of [
      { challengeId: 'ch_1', tenantId: 'tn_1', attempt: { index: 0, number: PRIMARY, outcome: 'busy', at: AT } },
      { step: 'skip', rollover: START },
      { step: 'next', rollover: { ...START, call: { outcome: 'approved-ish' } } },
      { step: 'finish', rollover: { ...START, numbers: ['0800 FRAUD'] } },
      { step: 'finish', rollover: { ...START, extra: true } },
    ]) {
      await expect(runRolloverStep(payload, world.deps)).rejects.toThrow();
    }
    expect(world.recorded).toEqual([]);
  });
});

describe('R12/R6 how a call task ended, as an attempt outcome', () => {
  it('a reported outcome is itself', () => {
    for (const outcome of ['approved', 'voicemail', 'busy'] as const) expect(attemptOutcomeOf({ outcome })).toBe(outcome);
  });

  it('a timeout, a number over its cap, and any other task error', () => {
    expect(attemptOutcomeOf({ Error: 'States.Timeout', Cause: 'no callback' })).toBe('timeout');
    expect(attemptOutcomeOf({ Error: NUMBER_OVER_CAP_ERROR })).toBe('over_cap');
    expect(attemptOutcomeOf({ Error: 'Chime.CallFailed', Cause: 'SIP 503' })).toBe('call_failed');
    expect(attemptOutcomeOf({ Error: 'Error', Cause: 'carrier refused the call' })).toBe('call_failed');
  });

  it.each([...ATTEMPT_OUTCOMES])('the verdict after a last attempt of %s', (outcome) => {
    const decision = decide(outcome);
    expect(verdictAfter(outcome)).toEqual(decision.kind === 'next' ? { kind: 'deny', reason: 'unreachable' } : decision);
  });
});
