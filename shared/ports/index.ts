/**
 * Every port, one file per concern (each next to the records it carries); import from here.
 * Port files import records from the domain's leaf modules only, never a domain service.
 */
export * from './access-passes';
export * from './app-passwords';
export * from './auth-log';
export * from './billing';
export * from './challenges';
export * from './clock';
export * from './jobs';
export * from './log';
export * from './metrics';
export * from './notifications';
export * from './otp';
export * from './page';
export * from './passkeys';
export * from './phone';
export * from './remembered-devices';
export * from './push';
export * from './recovery-codes';
export * from './secrets';
export * from './signing-keys';
export * from './step-ups';
export * from './sms';
export * from './tenants';
export * from './throttle';
export * from './usage';
export * from './users';
export * from './voice';
export * from './webauthn';
