export * from './data-protection-checks';
export * from './rule';
export { DATA_STORE_TYPES, PROTECTION_PURPOSE_TAG, RESTORABLE_TYPES } from './inspect';
export * as dataProtectionRules from './rules';
export * from './packs';
