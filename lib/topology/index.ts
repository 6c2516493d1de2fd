export * from './accounts';
export * from './data-account-stack';
export * from './key-account-stack';
