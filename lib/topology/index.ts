export * from './accounts';
export * from './audit-account-stack';
export * from './backup-account-stack';
export * from './data-account-stack';
export * from './key-account-stack';
export * from './data-protection-stage';
export * from './management-trail';
export * from './organization-guardrails';
