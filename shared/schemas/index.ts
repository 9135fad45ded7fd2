/**
 * Every request shape, checked at the edge (R29), one module per area: a handler's bundle carries
 * (and its module builds) only the modules of its own routes' shapes (shared/schemas/routes.ts).
 */
export * from './common';
export * from './challenges';
export * from './answers';
export * from './enrolment';
export * from './users';
export * from './tenants';
export * from './settings';
export * from './api-keys';
export * from './logs';
export * from './otp';
export * from './app-passwords';
export * from './remembered';
