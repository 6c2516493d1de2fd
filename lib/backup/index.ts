export * from './object-lock-bucket';
export * from './immutable-backup-vault';
export * from './protected-backup-plan';
export * from './backup-compliance';
export * from './backup-alarms';
export * from './legal-hold';
export * from './backup-config-recorder';
export * from './vault-tamper-alarms';
