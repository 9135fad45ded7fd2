/**
 * Voice-call rules as numbers and words, in one place (R10–R14). The rule named beside each
 * constant is the one in the product brief that it implements; the state machine, the SIP
 * media application handler and the local telephone all read them from here.
 */

/** R12: an answered call with no key pressed this long after the prompt ends is voicemail. */
export const VOICE_NO_INPUT_TIMEOUT_SECONDS = 10;

/** R10: after "0", how long the call waits for the "#" that completes a fraud report. */
export const VOICE_DIGIT_GAP_SECONDS = 5;

/**
 * R12/R13: how long one call attempt may take before the state machine gives up on it and
 * tries the next number: ringing until the carrier gives up (about 30 s), the prompt, and the
 * 10 s wait for a key. A call that never reports back is rolled over, never left hanging.
 */
export const VOICE_CALL_TIMEOUT_SECONDS = 60;

/** How long the step task after a call may take (it records the call, and at the end the result: a DynamoDB transaction or so). */
export const VOICE_FINISH_TIMEOUT_SECONDS = 30;

/**
 * Backstop for a whole rollover execution. Far above any real run (a few numbers at
 * VOICE_CALL_TIMEOUT_SECONDS each); it only bounds a run that something outside broke.
 */
export const VOICE_EXECUTION_TIMEOUT_SECONDS = 30 * 60;

/** Longest app name spoken in a prompt; Chime speaks at most 1,000 characters per action. */
export const VOICE_APP_NAME_MAX_LENGTH = 64;

/**
 * R10: what the call says. "#" is spelled out as the pound key because text-to-speech voices
 * read the symbol inconsistently. The app name comes from the relying app, so it is reduced to
 * printable characters and cut to a length a person can listen to.
 */
export function voicePrompt(appName: string): string {
  const name = appName
    .replace(/[\p{C}]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, VOICE_APP_NAME_MAX_LENGTH)
    .trim();
  const subject = name ? `a sign-in to ${name}` : 'a sign-in';
  return (
    `Hello. This is a request to approve ${subject}. ` +
    'To approve it, press the pound key. ' +
    'If you did not try to sign in, press zero, then the pound key, to report fraud.'
  );
}

/** Said after a key was accepted, just before the call hangs up. True whatever was pressed. */
export const VOICE_GOODBYE = 'Thank you. Goodbye.';

/** Said to anyone who calls a caller ID back (its SIP rule routes the call here); then the call ends. */
export const VOICE_INBOUND = 'This number only places sign-in verification calls and cannot take calls. Goodbye.';

/**
 * Said instead of the prompt or the goodbye when the call outlived its task (the rollover timed
 * it out or is over): a "#" or "0#" now changes nothing, and the callee must not think it did.
 */
export const VOICE_TASK_ENDED = 'This sign-in request has already ended, so nothing was approved or reported. Goodbye.';

/** Said after a key that is neither "#" nor "0#". */
export const VOICE_INVALID_KEY = 'Sorry, that key is not an option.';

/** R13: numbers one rollover may try (primary and backups); a sanity bound on the input. */
export const VOICE_MAX_NUMBERS = 10;
