import {
  ATTEMPT_OUTCOMES,
  CALL_OUTCOMES,
  countsTowardsFatigue,
  decide,
  isAttemptOutcome,
  isCallOutcome,
  type AttemptOutcome,
  type Decision,
} from '../../../shared/voice/outcomes';
import {
  VOICE_CALL_TIMEOUT_SECONDS,
  VOICE_NO_INPUT_TIMEOUT_SECONDS,
  voicePrompt,
} from '../../../shared/voice/rules';

const EXPECTED: Record<AttemptOutcome, Decision> = {
  approved: { kind: 'approve' },
  denied: { kind: 'deny', reason: 'denied' },
  fraud: { kind: 'deny', reason: 'fraud_reported' },
  voicemail: { kind: 'next' },
  busy: { kind: 'next' },
  disconnected: { kind: 'next' },
  invalid_number: { kind: 'next' },
  no_answer: { kind: 'next' },
  call_failed: { kind: 'next' },
  timeout: { kind: 'next' },
  // R6: a number over its hourly cap is skipped, not dialled: the next number is tried.
  over_cap: { kind: 'next' },
};

describe('R10–R14 decide(): what one call attempt means for the challenge', () => {
  it.each(Object.entries(EXPECTED))('%s → %j', (outcome, expected) => {
    expect(decide(outcome as AttemptOutcome)).toEqual(expected);
  });

  it('the table above covers every attempt outcome, and only those', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...ATTEMPT_OUTCOMES].sort());
  });

  it('R11: only a deliberate answer stops the rollover', () => {
    const stopping = ATTEMPT_OUTCOMES.filter((o) => decide(o).kind !== 'next');
    expect(stopping.sort()).toEqual(['approved', 'denied', 'fraud']);
  });

  it('a call reports call outcomes; timeout is the state machine\'s own', () => {
    expect(CALL_OUTCOMES).not.toContain('timeout');
    expect(CALL_OUTCOMES).not.toContain('over_cap');
    expect(isCallOutcome('busy')).toBe(true);
    expect(isCallOutcome('timeout')).toBe(false);
    expect(isAttemptOutcome('timeout')).toBe(true);
    expect(isAttemptOutcome('Approved')).toBe(false);
    expect(isAttemptOutcome(1)).toBe(false);
  });
});

describe('R7 countsTowardsFatigue: denied and ignored calls count', () => {
  it.each([
    ['denied', true],
    ['fraud', true],
    ['voicemail', true],
    ['no_answer', true],
    ['timeout', true],
    ['approved', false],
    ['busy', false],
    ['disconnected', false],
    ['invalid_number', false],
    ['call_failed', false],
    // R6: nobody was called.
    ['over_cap', false],
  ] as const)('%s → %s', (outcome, counts) => {
    expect(countsTowardsFatigue(outcome)).toBe(counts);
  });
});

describe('R10 the call prompt', () => {
  it('names the app and says which keys approve and report fraud', () => {
    const prompt = voicePrompt('Acme VPN');
    expect(prompt).toContain('sign-in to Acme VPN');
    expect(prompt).toMatch(/To approve it, press the pound key\./);
    expect(prompt).toMatch(/press zero, then the pound key, to report fraud\./);
  });

  it('keeps a hostile or long app name short and printable', () => {
    const prompt = voicePrompt(`Evil\u0000\nApp${'x'.repeat(500)}`);
    expect(prompt).not.toMatch(/\p{Cc}/u);
    expect(prompt).toContain('sign-in to Evil App');
    expect(prompt.length).toBeLessThan(300);
  });

  it('still makes sense without an app name', () => {
    expect(voicePrompt('  ')).toContain('approve a sign-in. ');
  });
});

describe('R12 voice timings', () => {
  it('waits 10 s for a key after the prompt', () => {
    expect(VOICE_NO_INPUT_TIMEOUT_SECONDS).toBe(10);
  });

  it('gives a call attempt room to ring, speak and wait before rolling over', () => {
    expect(VOICE_CALL_TIMEOUT_SECONDS).toBeGreaterThanOrEqual(30 + VOICE_NO_INPUT_TIMEOUT_SECONDS);
  });
});
