export * from './alarm-topic';
export * from './cross-account-key';
export * from './data-account-fallback-key';
export * from './key-aliases';
export * from './key-consumer-service';
export * from './key-tamper-alarms';
export * from './protected-key';
export * from './protected-key-replica';
