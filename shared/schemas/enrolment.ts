import * as z from '../zod';
import { challengeIdSchema, userIdSchema } from './common';
import { e164Schema } from './phone';

/** A relying app generates a user's recovery codes; `challengeId` is the step-up once the user has a method. */
export const generateRecoveryCodesBody = z.strictObject({ userId: userIdSchema, challengeId: z.optional(challengeIdSchema) });

/** POST /v1/authenticators: a relying app enrols a user's authenticator app (a step-up once the user has a method). */
export const startAuthenticatorBody = z.strictObject({ userId: userIdSchema, challengeId: z.optional(challengeIdSchema) });

/** POST /v1/authenticators/confirm: the first code from the app, for the enrolment the relying app started. */
export const confirmAppAuthenticatorBody = z.strictObject({
  userId: userIdSchema,
  enrollmentId: z.string().check(z.regex(/^en_[A-Za-z0-9_-]{22}$/, 'is not an enrollment id')),
  // As otpCodeSchema (./otp.ts, with the admin's bodies).
  code: z.string().check(z.regex(/^(\d{6}|\d{8})$/, 'must be 6 or 8 digits')),
});

/** PUT /v1/phones: a relying app sets a user's primary phone (and backups when given; absent: kept). */
export const setPhonesBody = z.strictObject({
  userId: userIdSchema,
  challengeId: z.optional(challengeIdSchema),
  primary: e164Schema,
  backup: z.optional(z.array(e164Schema).check(z.maxLength(5))),
});
