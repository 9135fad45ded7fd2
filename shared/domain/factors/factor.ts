/**
 * A second factor, as the challenge lifecycle (../challenges.ts) sees it. One module per factor
 * (sms.ts, voice.ts, push.ts, app.ts, oath.ts, passkey.ts, recovery.ts, tap.ts) implements it, built from exactly the
 * dependencies that factor uses; the registry (index.ts) holds one for every member of the
 * closed `Factor` union. The lifecycle (create, verify, resend, status, throttling,
 * idempotency, assertion, audit) is written once against this interface and names no factor.
 * Each factor's file exports three things apart, so that a bundle carries only what its path
 * uses: its definition (what policy asks of it: `FactorDefinition`), what reading a challenge's
 * status needs of it (`FactorStatus`), and the builder of its working module (`FactorModule`).
 */
import type { UserScope } from '../../ports';
import type { OtpStepUse } from '../otp/records';
import type { PasskeyUse } from '../passkey-records';
import type { AccessPassUse, RecoveryCodeUse } from '../recovery-records';
import type { Challenge, ChallengeStatus, ChallengeView, DenialReason, Factor, Principal, User } from '../types';

/** What a factor gets to set up a challenge for a user. */
export interface ChallengeRequest {
  readonly principal: Principal;
  readonly user: User;
  readonly context?: { readonly clientIp?: string; readonly appName?: string; readonly location?: string };
}

/** A challenge the factor accepted to set up: where it goes and for how long. */
export interface Prepared {
  /** Masked destination, for status answers and logs (R28). */
  readonly destination: string;
  /** The E.164 number the challenge goes to; empty when it goes to no phone number. */
  readonly destinationE164: string;
  readonly ttlSeconds: number;
  /** Once the challenge is admitted (R6): what it stores besides the common fields, and how it reaches the user. */
  issue(challengeId: string): Promise<Issued>;
}

export interface Issued {
  /** HMAC of a code the factor sends (R1). */
  readonly codeHash?: string;
  /** State only this factor's challenges carry. */
  readonly state?: Pick<Challenge, 'voice' | 'push' | 'passkey'>;
  /** How the stored challenge reaches the user; absent when nothing is sent (the user reads the code off their own app or token). */
  readonly delivery?: (challenge: Challenge) => Delivery;
}

/**
 * One way of reaching the user (a text, a call, a notification). The lifecycle sends it, logs
 * `sent` with the fields `send` resolves to, and if `send` throws, logs `notSent` and denies the
 * challenge as undeliverable (R16), answering `problem`.
 */
export interface Delivery {
  send(): Promise<Readonly<Record<string, unknown>>>;
  readonly sent: string;
  readonly notSent: string;
  /** The error as the warning line may show it (R28: no full phone number). */
  describe(error: unknown): string;
  readonly problem: string;
}

/**
 * An answer's check: a match carries what the approval's write must prove (R1 the code's hash,
 * R5 the time step, a passkey's sign counter), and may say what the auth log names as the device
 * (R23) and what the assertion claims about how the user authenticated (`amr`, `acr`).
 */
export type CodeCheck =
  | {
      readonly kind: 'match';
      readonly proof:
        | { readonly codeHash: string }
        | { readonly otp: OtpStepUse }
        | { readonly passkey: PasskeyUse }
        | { readonly recovery: RecoveryCodeUse }
        | { readonly pass: AccessPassUse };
      readonly device?: string;
      readonly authentication?: { readonly amr: readonly string[]; readonly acr: string };
      /** The problem's detail when another approval spent the proof first (a recovery code used twice at once). */
      readonly spent?: string;
      /** What the approval owes once it is committed (telling the admins a recovery code was used); its failure undoes nothing. */
      readonly approved?: (principal: Principal) => Promise<unknown>;
    }
  /** Counted as a wrong attempt (R3); `message` is the problem's detail when it is not a wrong code. */
  | { readonly kind: 'mismatch'; readonly reason: 'wrong_code' | 'replayed' | 'credential_rejected'; readonly message?: string; readonly device?: string }
  /**
   * Denied at once, whatever attempts are left: the answer shows the factor cannot be trusted (a
   * cloned passkey). `report` is what the denial owes once it is recorded (telling the admins).
   */
  | {
      readonly kind: 'deny';
      readonly reason: Extract<DenialReason, 'counter_regressed'>;
      readonly message: string;
      readonly device?: string;
      readonly report?: () => Promise<unknown>;
    };

/** What a verify request posts: a code, or a credential's response (a passkey's assertion). */
export type Submission = { readonly code: string } | { readonly credential: unknown };

/** How a challenge is answered. */
export type Answer =
  /** A code sent to the user (R1) or read off their app or token (R5, R22), posted to verify. */
  | { readonly kind: 'code'; check(input: { scope: UserScope; challenge: Challenge; code: string; now: number }): Promise<CodeCheck> }
  /**
   * A credential's response signed on the user's device over the challenge (a passkey's
   * assertion), posted to verify instead of a code; the body's shape was checked at the edge.
   */
  | { readonly kind: 'credential'; check(input: { principal: Principal; scope: UserScope; challenge: Challenge; credential: unknown; now: number }): Promise<CodeCheck> }
  /**
   * Answered elsewhere (on the call, R10; on the phone, R9): verify takes no code (`message` says
   * so), the request's caller is kept for the events that follow it (R23), and polling the status
   * returns the signed assertion (R4).
   */
  | { readonly kind: 'elsewhere'; readonly message: string };

/** R3: whether a new code can be sent on an open challenge. */
export type Resend =
  | { readonly kind: 'refused'; readonly message: string }
  | { readonly kind: 'new_code'; readonly ttlSeconds: number; reissue(challenge: Challenge): Promise<{ codeHash: string; delivery: (challenge: Challenge) => Delivery }> };

/** What a status answer shows of the factor's own state (R9's number, R13's calls). */
export type FactorView = Pick<ChallengeView, 'number' | 'voice' | 'publicKey'>;

/**
 * What reading a challenge's status needs of its factor (../challenge-status.ts), and no more: a
 * status read builds no factor's way of starting or answering a challenge. Each factor's module
 * is built on its status, so the two cannot differ.
 */
export interface FactorStatus {
  /** How the challenge is answered; a status read only needs to know whether elsewhere (then it carries the assertion, R4). */
  readonly answer: Pick<Answer, 'kind'>;
  /** R1/R9: what an open challenge reads as once its deadline has passed (`reason` is shown with it). */
  readonly lapse: { readonly status: Extract<ChallengeStatus, 'expired'> } | { readonly status: Extract<ChallengeStatus, 'denied'>; readonly reason: 'timeout' };
  /** The challenge as a reader must see it now, with any change due on reading written first (R9: a push's timeout). */
  current(challenge: Challenge, now: number): Promise<Challenge>;
  /** What a status answer shows of this factor's state; `pending` says whether the challenge is still open. */
  view(challenge: Challenge, pending: boolean): FactorView;
}

/** The status part of every factor: a factor missing here does not compile. */
export type FactorStatusRegistry = { readonly [M in Factor]: FactorStatus };

export interface FactorModule<M extends Factor = Factor> extends FactorStatus {
  readonly method: M;
  /**
   * What the user must have registered, and the tenant allowed, for a challenge of this
   * factor; throws the domain error that says what is missing.
   */
  prepare(request: ChallengeRequest): Prepared;
  readonly answer: Answer;
  readonly resend: Resend;
  /** R7: prompts the user can deny or ignore, paused after too many of them. */
  readonly fatigues: boolean;
  /** R6: each send takes its number's hourly count in the transaction that records the send. */
  readonly countsNumberPerSend: boolean;
}

/** One module for every factor: a factor missing here does not compile. */
export type FactorRegistry = { readonly [M in Factor]: FactorModule<M> };

/**
 * What a factor's file exports under the factor's name: the factor as policy sees it. Its
 * status (`FactorStatus`) and the builder of its working module, from exactly this factor's own
 * dependencies, are exported beside it, so that choosing a method carries neither.
 */
export interface FactorDefinition<M extends Factor> {
  readonly method: M;
  /** R20, R30: whether the user has registered what this factor needs (a number that takes it, a device, an app, a token). */
  registered(user: User): boolean;
  /**
   * A way back rather than a registered method (recovery codes, access passes): never chosen by
   * default, asked for by name only, and usable whatever the user has registered (R20 does not
   * stop it: it is how a user with nothing left gets in to register again).
   */
  readonly fallback?: boolean;
}

/** For factors whose challenges carry no state to read or show. */
export const unchanged = async (challenge: Challenge): Promise<Challenge> => challenge;
export const noView = (): FactorView => ({});
